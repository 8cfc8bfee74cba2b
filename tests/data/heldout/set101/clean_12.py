"""Res2NeXt-50 (4s, cardinality 8) with SE and CBAM-style spatial attention."""
import math
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

norm2d = partial(nn.BatchNorm2d, eps=1e-5, momentum=0.1)


def conv_bn(in_ch, out_ch, k=1, stride=1, groups=1, relu=True):
    layers = [nn.Conv2d(in_ch, out_ch, k, stride, k // 2, groups=groups, bias=False),
              norm2d(out_ch)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class SEBlock(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(channels, channels // reduction, bias=False),
            nn.BatchNorm1d(channels // reduction),
            nn.ReLU(inplace=True),
            nn.Linear(channels // reduction, channels),
            nn.Sigmoid(),
        )

    def forward(self, x):
        w = self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
        return x * w.unsqueeze(-1).unsqueeze(-1)


class SpatialAttention(nn.Module):
    def __init__(self, kernel_size=7):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(1, eps=1e-5, momentum=0.01)

    def forward(self, x):
        desc = torch.cat([x.amax(1, keepdim=True), x.mean(1, keepdim=True)], 1)
        return x * torch.sigmoid(self.bn(self.conv(desc)))


class Res2NeXtBlock(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, base_width=4, cardinality=8, scale=4,
                 first=False):
        super().__init__()
        width = int(math.floor(planes * (base_width / 64.0))) * cardinality
        self.width = width
        self.scale = scale
        self.first = first
        self.reduce = conv_bn(inplanes, width * scale, 1)
        n = max(1, scale - 1)
        self.convs = nn.ModuleList(
            [conv_bn(width, width, 3, stride, groups=cardinality) for _ in range(n)])
        self.pool = nn.AvgPool2d(3, stride, 1) if first else None
        out = planes * self.expansion
        self.expand = nn.Sequential(
            nn.Conv2d(width * scale, out, 1, bias=False),
            norm2d(planes * Res2NeXtBlock.expansion),
        )
        self.se = SEBlock(out)
        self.sa = SpatialAttention()
        self.shortcut = None
        if stride != 1 or inplanes != out:
            self.shortcut = nn.Sequential(
                nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False),
                nn.Conv2d(inplanes, out, 1, bias=False),
                norm2d(out),
            )

    def forward(self, x):
        xs = torch.split(self.reduce(x), self.width, 1)
        ys = []
        for i, conv in enumerate(self.convs):
            inp = xs[i] if (i == 0 or self.first) else ys[-1] + xs[i]
            ys.append(conv(inp))
        ys.append(self.pool(xs[-1]) if self.first else xs[-1])
        y = self.sa(self.se(self.expand(torch.cat(ys, 1))))
        sc = x if self.shortcut is None else self.shortcut(x)
        return F.relu(y + sc, inplace=True)


class Res2NeXt(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), num_classes=1000, scale=4, cardinality=8,
                 base_width=4):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 32, 3, 2), conv_bn(32, 32, 3), conv_bn(32, 64, 3),
                                  nn.MaxPool2d(3, 2, 1))
        inplanes = 64
        stages = []
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(Res2NeXtBlock(inplanes, planes, stride, base_width, cardinality,
                                            scale, first=(j == 0)))
                inplanes = planes * Res2NeXtBlock.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
