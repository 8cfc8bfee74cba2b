import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1, bias=False)
        self.bn = nn.BatchNorm1d(1)

    def forward(self, x):
        return self.bn(self.fc(x))


def compute_loss(model, x, y, objective):
    outputs = model(x)
    loss = objective(outputs, y)
    print(loss.item())
    return loss


def train(model, data, objective, opt):
    for x, y in data:
        loss = compute_loss(model, x, y, objective)
        loss.backward()
        opt.step()
