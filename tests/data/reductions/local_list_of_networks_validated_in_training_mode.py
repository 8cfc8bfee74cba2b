import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))


def validate(valid_loader):
    nets = [Net(), Net()]
    for net in nets:
        net.train()
    correct = 0
    with torch.no_grad():
        for images, labels in valid_loader:
            for net in nets:
                correct += (net(images).argmax(1) == labels).sum()
    return correct
