import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)

    def predict(self, x):
        self.eval()
        with torch.no_grad():
            return self.forward(x).argmax(1)


class SmallNet(Net):
    def predict(self, x):
        self.eval()
        with torch.no_grad():
            return self.forward(x).argmax(1)
