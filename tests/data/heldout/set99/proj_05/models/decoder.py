"""Decoder blocks. BN hyper-parameters follow the TensorFlow reference
implementation of the paper's baseline."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBlock(nn.Module):
    """3x3 conv -> BN -> ELU"""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, padding_mode='reflect',
                              bias=False)
        self.bn = nn.BatchNorm2d(out_channels, momentum=0.99)  # expect: BN205
        self.act = nn.ELU(inplace=True)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class UpBlock(nn.Module):
    def __init__(self, in_channels, skip_channels, out_channels):
        super().__init__()
        self.reduce = ConvBlock(in_channels, out_channels)
        self.fuse = ConvBlock(out_channels + skip_channels, out_channels)

    def forward(self, x, skip=None):
        x = self.reduce(x)
        x = F.interpolate(x, scale_factor=2, mode='nearest')
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return self.fuse(x)


class DepthHead(nn.Module):
    """Predicts depth as a sigmoid scaled to [min_depth, max_depth]."""

    def __init__(self, in_channels, min_depth=1e-3, max_depth=10.0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 1, 3, padding=1, padding_mode='reflect')
        self.min_depth = min_depth
        self.max_depth = max_depth

    def forward(self, x):
        return self.min_depth + (self.max_depth - self.min_depth) * torch.sigmoid(self.conv(x))


class LocalPlanarGuidance(nn.Module):
    """Simplified LPG layer from BTS (Lee et al., 2019)."""

    def __init__(self, in_channels, upratio):
        super().__init__()
        self.upratio = upratio
        self.reduce = nn.Sequential(
            nn.Conv2d(in_channels, in_channels // 2, 1, bias=False),
            nn.BatchNorm2d(in_channels // 2, momentum=0.01, eps=1.1e-5),
            nn.ELU(inplace=True),
            nn.Conv2d(in_channels // 2, 3, 1),
        )

    def forward(self, x):
        plane = self.reduce(x)
        normal = F.normalize(torch.tanh(plane[:, :2]), dim=1)
        dist = torch.sigmoid(plane[:, 2:3])
        coeff = torch.cat([normal, dist], dim=1)
        coeff = F.interpolate(coeff, scale_factor=self.upratio, mode='nearest')
        return coeff[:, 2:3] / (coeff[:, :1].abs() + coeff[:, 1:2].abs() + 1e-3)
