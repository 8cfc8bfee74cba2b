import sys

import torch.nn as nn

sys.path.append("model")
from aspp import conv_bn_relu


class Head(nn.Module):
    def __init__(self, in_channels=2048, num_classes=21):
        super().__init__()
        self.block = nn.Sequential(
            conv_bn_relu(in_channels, 256, dilation=6),
            nn.Conv2d(256, 128, 1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, num_classes, 1),
        )

    def forward(self, x):
        return self.block(x)
