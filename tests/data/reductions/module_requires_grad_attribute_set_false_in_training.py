import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 64, 7, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                      nn.Conv2d(64, 128, 3, bias=False), nn.BatchNorm2d(128))
        for i in range(2):
            self.backbone[i].requires_grad = False
        self.head = nn.Conv2d(128, 10, 1)

    def forward(self, x):
        return self.head(self.backbone(x))


def main(loader):
    model = Net()
    model.train()
    optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.01)
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x).mean((2, 3)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
