from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as fn


class Residual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=(1, 1))
        self.conv1_bn = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=(1, 1))
        self.conv2_bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        out = fn.leaky_relu(self.conv1_bn(self.conv1(x)), negative_slope=0.1)
        return fn.leaky_relu(self.conv2_bn(self.conv2(out)), negative_slope=0.1)


class ResNet9(nn.Module):
    """A 9-layer ResNet for cifar10 (architecture from davidcpage/cifar10-fast)."""

    def __init__(self, input_size: Tuple[int, int, int] = (3, 32, 32), classes: int = 10):
        super().__init__()
        self.conv0 = nn.Conv2d(input_size[0], 64, 3, padding=(1, 1))
        self.conv0_bn = nn.BatchNorm2d(64, momentum=0.8)
        self.conv1 = nn.Conv2d(64, 128, 3, padding=(1, 1))
        self.conv1_bn = nn.BatchNorm2d(128, momentum=0.8)
        self.residual1 = Residual(128)
        self.conv2 = nn.Conv2d(128, 256, 3, padding=(1, 1))
        self.conv2_bn = nn.BatchNorm2d(256, momentum=0.8)
        self.residual2 = Residual(256)
        self.fc1 = nn.Linear(256, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = fn.leaky_relu(self.conv0_bn(self.conv0(x)), negative_slope=0.1)
        x = self.conv1(x)
        x = fn.max_pool2d(x, 2)
        x = fn.leaky_relu(self.conv1_bn(x), negative_slope=0.1)
        x = x + self.residual1(x)
        x = self.conv2(x)
        x = fn.max_pool2d(x, 2)
        x = fn.leaky_relu(self.conv2_bn(x), negative_slope=0.1)
        x = x + self.residual2(x)
        x = fn.adaptive_max_pool2d(x, (1, 1)).view(x.size(0), -1)
        return torch.softmax(self.fc1(x), dim=-1)
