import torch.nn as nn

from base import ConvBlock


class ConvBNBlock(ConvBlock):
    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels)
        self.bn = nn.BatchNorm2d(in_channels)

    def forward(self, x):
        return self.bn(super().forward(x)).relu()


stage = nn.Sequential(ConvBNBlock(3, 32), ConvBNBlock(32, 64))
