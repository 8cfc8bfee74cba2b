"""Inception / ShuffleNet-v2 hybrid for 64x64 tiles; widths derived by arithmetic."""
from functools import partial

import torch
import torch.nn as nn

IN_BANDS = 4
STEM_WIDTH = 48                    # even, so STEM_WIDTH // 2 * 2 == STEM_WIDTH
B1, B3, B5, BP = 64, 96, 32, 32
CONCAT = B1 + B3 + B5 + BP         # 224

Norm = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.03)


def conv_bn(in_ch, out_ch, k, stride=1, groups=1, act=True):
    layers = [
        nn.Conv2d(in_ch, out_ch, k, stride=stride, padding=k // 2, groups=groups, bias=False),
        Norm(out_ch),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class InceptionBlock(nn.Module):
    def __init__(self, in_ch):
        super().__init__()
        self.b1 = conv_bn(in_ch, B1, 1)
        self.b3 = nn.Sequential(conv_bn(in_ch, B3 // 2, 1), conv_bn(B3 // 2, B3, 3))
        self.b5 = nn.Sequential(conv_bn(in_ch, B5 // 2, 1), conv_bn(B5 // 2, B5, 5))
        self.bp = nn.Sequential(nn.MaxPool2d(3, 1, 1), conv_bn(in_ch, BP, 1))
        self.post_bn = nn.BatchNorm2d(B1 + B3 + B5 + BP)   # normalises the concatenation

    def forward(self, x):
        out = torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], dim=1)
        return torch.relu(self.post_bn(out))


class ShuffleUnit(nn.Module):
    """Stride-1 ShuffleNet-v2 unit: half the channels go through the branch."""

    def __init__(self, channels):
        super().__init__()
        half = channels // 2
        self.branch = nn.Sequential(
            conv_bn(half, half, 1),
            conv_bn(half, half, 3, groups=half, act=False),
            conv_bn(half, half, 1),
        )

    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        out = torch.cat([a, self.branch(b)], dim=1)
        n, c, h, w = out.shape
        return out.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)


class HybridNet(nn.Module):
    def __init__(self, num_classes=17):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(IN_BANDS, STEM_WIDTH // 2 * 2, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(STEM_WIDTH),
            nn.ReLU(inplace=True),
        )
        self.inception = InceptionBlock(STEM_WIDTH)
        self.shuffle = nn.Sequential(ShuffleUnit(CONCAT), ShuffleUnit(CONCAT))
        self.project = nn.Sequential(
            nn.Conv2d(CONCAT, CONCAT // 2 * 2, 1, bias=False),
            nn.BatchNorm2d(CONCAT),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.fc = nn.Linear(CONCAT, num_classes)

    def forward(self, x):
        return self.fc(self.project(self.shuffle(self.inception(self.stem(x)))))
