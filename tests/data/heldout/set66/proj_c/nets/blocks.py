"""Building blocks for volumetric (CT / MRI) segmentation networks."""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn as nn

NormFactory = Callable[[int], nn.Module]


def conv3x3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv3d:
    return nn.Conv3d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1x1(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv3d:
    return nn.Conv3d(in_ch, out_ch, kernel_size=1, stride=stride, bias=False)


class ResBlock3d(nn.Module):
    """Pre-activation-free residual block (conv-bn-relu-conv-bn + skip)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1,
                 norm_layer: Optional[NormFactory] = None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm3d
        self.conv1 = conv3x3x3(in_ch, out_ch, stride)
        self.bn1 = norm_layer(out_ch)
        self.conv2 = conv3x3x3(out_ch, out_ch)
        self.bn2 = norm_layer(out_ch)
        self.act = nn.LeakyReLU(0.01, inplace=True)
        self.skip: nn.Module = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.skip = nn.Sequential(conv1x1x1(in_ch, out_ch, stride), norm_layer(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act(out + self.skip(x))


class UpBlock3d(nn.Module):
    """Transposed-conv upsampling, concatenation with the skip, two convs."""

    def __init__(self, in_ch: int, skip_ch: int, out_ch: int):
        super().__init__()
        self.up = nn.ConvTranspose3d(in_ch, out_ch, kernel_size=2, stride=2, bias=False)
        self.up_bn = nn.BatchNorm3d(out_ch)
        self.fuse = ResBlock3d(out_ch + skip_ch, out_ch)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.up_bn(self.up(x)))
        if x.shape[2:] != skip.shape[2:]:
            x = nn.functional.interpolate(x, size=skip.shape[2:], mode="trilinear",
                                          align_corners=False)
        return self.fuse(torch.cat([x, skip], dim=1))
