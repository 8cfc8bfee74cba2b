import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.Sequential(nn.Conv2d(3, c, 3, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return self.layers(x)


class SegmentationModel:
    def __init__(self, channels=8):
        self.net = Net(channels)
