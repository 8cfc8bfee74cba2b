import torch
import torch.nn as nn

from towers import conv_bn


class InceptionBlock(nn.Module):
    def __init__(self, in_channels):
        super().__init__()
        self.branch1 = conv_bn(in_channels, 64)
        self.branch3 = nn.Sequential(conv_bn(in_channels, 96), conv_bn(96, 128, 3, padding=1))
        self.branch5 = nn.Sequential(conv_bn(in_channels, 16), conv_bn(16, 32, 5, padding=2))
        self.pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), conv_bn(in_channels, 32))
        self.bn = nn.BatchNorm2d(256)

    def forward(self, x):
        towers = [self.branch1(x), self.branch3(x), self.branch5(x), self.pool(x)]
        return torch.relu(self.bn(torch.cat(towers, 1)))
