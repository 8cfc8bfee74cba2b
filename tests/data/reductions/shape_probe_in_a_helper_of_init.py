import torch
import torch.nn as nn
import torch.nn.functional as F


class Stem(nn.Module):
    def __init__(self, bands, patch=16):
        super().__init__()
        self.bands, self.patch = bands, patch
        self.conv = nn.Conv3d(1, 8, (bands, 3, 3), bias=False)
        self.conv_bn = nn.BatchNorm3d(8)
        self.width = self._flat_width()
        self.fc = nn.Linear(self.width, 10)

    def _flat_width(self):
        with torch.no_grad():
            x = torch.zeros((1, 1, self.bands, self.patch, self.patch))
            x = F.relu(self.conv_bn(self.conv(x)))
            _, c, t, w, h = x.size()
        return c * t * w * h

    def forward(self, x):
        return self.fc(F.relu(self.conv_bn(self.conv(x))).flatten(1))


class Other(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.width = width
        self.fc = nn.Linear(width, 2)
        self.size = self._flat_width()

    def _flat_width(self):
        return self.width
