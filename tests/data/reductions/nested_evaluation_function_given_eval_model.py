import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(10)

    def forward(self, x):
        return self.bn(x)


def score(test_loader):
    net = Net()

    def test_loop_fn(model, loader):
        correct = 0
        for data, target in loader:
            output = model(data)
            pred = output.max(1, keepdim=True)[1]
            correct += pred.eq(target.view_as(pred)).sum().item()
        return correct

    net.eval()
    return test_loop_fn(net, test_loader)
