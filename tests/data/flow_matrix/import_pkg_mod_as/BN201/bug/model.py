import torch.nn as nn

import lib.layers as L


class Bottleneck(nn.Module):
    def __init__(self, channels=256, reduction=4):
        super().__init__()
        self.reduce = L.conv1x1(channels, channels // reduction)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return self.bn(self.reduce(x)).relu()
