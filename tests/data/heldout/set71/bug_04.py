"""EfficientNet-B0 ported from the Keras applications implementation.

Block arguments, compound scaling and the stochastic depth schedule follow
the reference TF code so that converted checkpoints load one-to-one.
"""
import math
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_MOMENTUM = 0.99
BN_EPS = 1e-3

BatchNorm = partial(nn.BatchNorm2d, eps=BN_EPS, momentum=BN_MOMENTUM)  # expect: BN205

DEFAULT_BLOCKS = [
    # kernel, repeats, in, out, expand, stride, se_ratio
    dict(k=3, r=1, i=32, o=16, e=1, s=1, se=0.25),
    dict(k=3, r=2, i=16, o=24, e=6, s=2, se=0.25),
    dict(k=5, r=2, i=24, o=40, e=6, s=2, se=0.25),
    dict(k=3, r=3, i=40, o=80, e=6, s=2, se=0.25),
    dict(k=5, r=3, i=80, o=112, e=6, s=1, se=0.25),
    dict(k=5, r=4, i=112, o=192, e=6, s=2, se=0.25),
    dict(k=3, r=1, i=192, o=320, e=6, s=1, se=0.25),
]


def round_filters(filters, width_coefficient, divisor=8):
    filters *= width_coefficient
    new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    if new_filters < 0.9 * filters:
        new_filters += divisor
    return int(new_filters)


def round_repeats(repeats, depth_coefficient):
    return int(math.ceil(depth_coefficient * repeats))


class SqueezeExcite(nn.Module):
    def __init__(self, in_ch, reduced_ch):
        super().__init__()
        self.reduce = nn.Conv2d(in_ch, reduced_ch, 1)
        self.expand = nn.Conv2d(reduced_ch, in_ch, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = self.expand(F.silu(self.reduce(s)))
        return x * torch.sigmoid(s)


class MBConv(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, stride, expand_ratio, se_ratio, drop_rate=0.0):
        super().__init__()
        self.has_skip = stride == 1 and in_ch == out_ch
        self.drop_rate = drop_rate
        mid_ch = in_ch * expand_ratio

        if expand_ratio != 1:
            self.expand_conv = nn.Conv2d(in_ch, mid_ch, 1, bias=False)
            self.bn0 = BatchNorm(mid_ch)
        else:
            self.expand_conv = None

        self.dw_conv = nn.Conv2d(
            mid_ch, mid_ch, kernel_size, stride=stride, padding=kernel_size // 2, groups=mid_ch, bias=False
        )
        self.bn1 = BatchNorm(mid_ch)
        self.se = SqueezeExcite(mid_ch, max(1, int(in_ch * se_ratio)))
        self.project_conv = nn.Conv2d(mid_ch, out_ch, 1, bias=False)
        self.bn2 = BatchNorm(out_ch)

    def drop_path(self, x):
        if not self.training or self.drop_rate == 0.0:
            return x
        keep = 1.0 - self.drop_rate
        mask = torch.empty(x.shape[0], 1, 1, 1, device=x.device).bernoulli_(keep)
        return x / keep * mask

    def forward(self, x):
        out = x
        if self.expand_conv is not None:
            out = F.silu(self.bn0(self.expand_conv(out)))
        out = F.silu(self.bn1(self.dw_conv(out)))
        out = self.se(out)
        out = self.bn2(self.project_conv(out))
        if self.has_skip:
            out = self.drop_path(out) + x
        return out


class EfficientNet(nn.Module):
    def __init__(self, width_coefficient=1.0, depth_coefficient=1.0, dropout=0.2,
                 drop_connect_rate=0.2, num_classes=1000, blocks=None):
        super().__init__()
        blocks = blocks or DEFAULT_BLOCKS
        stem_ch = round_filters(32, width_coefficient)
        head_ch = round_filters(1280, width_coefficient)

        self.stem_conv = nn.Conv2d(3, stem_ch, 3, stride=2, padding=1, bias=False)
        self.stem_bn = BatchNorm(stem_ch)

        total = sum(round_repeats(b["r"], depth_coefficient) for b in blocks)
        layers = []
        idx = 0
        for b in blocks:
            in_ch = round_filters(b["i"], width_coefficient)
            out_ch = round_filters(b["o"], width_coefficient)
            for j in range(round_repeats(b["r"], depth_coefficient)):
                layers.append(
                    MBConv(
                        in_ch if j == 0 else out_ch,
                        out_ch,
                        b["k"],
                        b["s"] if j == 0 else 1,
                        b["e"],
                        b["se"],
                        drop_rate=drop_connect_rate * idx / total,
                    )
                )
                idx += 1
        self.blocks = nn.Sequential(*layers)

        last_ch = round_filters(blocks[-1]["o"], width_coefficient)
        self.head_conv = nn.Conv2d(last_ch, head_ch, 1, bias=False)
        self.head_bn = nn.BatchNorm2d(head_ch, BN_MOMENTUM)  # expect: BN206
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(head_ch, num_classes)

    def forward(self, x):
        x = F.silu(self.stem_bn(self.stem_conv(x)))
        x = self.blocks(x)
        x = F.silu(self.head_bn(self.head_conv(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(self.dropout(x))


def efficientnet_b0(num_classes=1000):
    return EfficientNet(1.0, 1.0, 0.2, num_classes=num_classes)


if __name__ == "__main__":
    net = efficientnet_b0(num_classes=5)
    print(len(net.blocks))
