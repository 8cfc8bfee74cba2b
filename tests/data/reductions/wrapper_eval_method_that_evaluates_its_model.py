import torch
import torch.nn as nn


class Enhancements:
    def __init__(self, base_model):
        self.base_model = base_model

    def train(self):
        self.base_model.train()

    def eval(self):
        self.base_model.eval()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x)).mean((2, 3))


class Routine:
    def __init__(self, loader, val_loader):
        self.model = Net()
        self.mod = Enhancements(self.model)
        self.loader = loader
        self.val_loader = val_loader

    def validate(self):
        self.mod.eval()
        correct = 0
        with torch.no_grad():
            for x, y in self.val_loader:
                correct += (self.mod.base_model(x).argmax(1) == y).sum()
        return correct
