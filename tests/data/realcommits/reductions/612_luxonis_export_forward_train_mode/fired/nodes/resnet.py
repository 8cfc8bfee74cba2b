import torch
from torch import nn

from .base import BaseNode


class ResNet(BaseNode):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn(x)
