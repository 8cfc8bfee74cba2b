"""FPN + PAN neck (YOLO/PANet style) on top of a ResNet-50 C3..C5 feature pyramid."""
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_relu(in_ch, out_ch, k=1, s=1, p=0):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, k, s, p),  # expect: BN204
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class FPN(nn.Module):
    """Top-down pathway with lateral 1x1 connections."""

    def __init__(self, in_channels=(512, 1024, 2048), out_channels=256):
        super().__init__()
        self.lateral = nn.ModuleList(
            [conv_bn_relu(c, out_channels, 1) for c in in_channels])
        self.smooth = nn.ModuleList(
            [conv_bn_relu(out_channels, out_channels, 3, 1, 1) for _ in in_channels])

    def forward(self, feats: List[torch.Tensor]) -> List[torch.Tensor]:
        lats = [l(f) for l, f in zip(self.lateral, feats)]
        for i in range(len(lats) - 1, 0, -1):
            lats[i - 1] = lats[i - 1] + F.interpolate(
                lats[i], size=lats[i - 1].shape[-2:], mode="nearest")
        return [s(x) for s, x in zip(self.smooth, lats)]


class PAN(nn.Module):
    """Bottom-up path augmentation (Liu et al., 2018)."""

    def __init__(self, channels=256, num_levels=3):
        super().__init__()
        self.down = nn.ModuleList(
            [conv_bn_relu(channels, channels, 3, 2, 1) for _ in range(num_levels - 1)])
        self.fuse = nn.ModuleList(
            [conv_bn_relu(channels, channels, 3, 1, 1) for _ in range(num_levels - 1)])

    def forward(self, feats):
        outs = [feats[0]]
        for i in range(1, len(feats)):
            x = self.down[i - 1](outs[-1]) + feats[i]
            outs.append(self.fuse[i - 1](x))
        return outs


class ExtraLevels(nn.Module):
    """P6/P7 from P5 for large objects (RetinaNet style, wider P6)."""

    def __init__(self, channels=256):
        super().__init__()
        self.p6 = nn.Sequential(
            nn.Conv2d(channels, channels * 2, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(channels),  # expect: BN201
            nn.ReLU(inplace=True),
        )
        self.p7 = nn.Sequential(
            nn.Conv2d(channels * 2, channels, kernel_size=3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, p5):
        p6 = self.p6(p5)
        p7 = self.p7(F.relu(p6))
        return p6, p7


class Neck(nn.Module):
    def __init__(self, in_channels=(512, 1024, 2048), out_channels=256):
        super().__init__()
        self.fpn = FPN(in_channels, out_channels)
        self.pan = PAN(out_channels, len(in_channels))
        self.extra = ExtraLevels(out_channels)

    def forward(self, c3, c4, c5):
        p = self.fpn([c3, c4, c5])
        p = self.pan(p)
        p6, p7 = self.extra(p[-1])
        return p + [p6, p7]

