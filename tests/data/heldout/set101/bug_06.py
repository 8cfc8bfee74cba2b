"""EfficientNet-B0..B3 ported from the TensorFlow reference.

Compound scaling: width via round_filters, depth via round_repeats.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# (expand_ratio, kernel, stride, in_ch, out_ch, repeats, se_ratio)
BLOCKS_ARGS = [
    (1, 3, 1, 32, 16, 1, 0.25),
    (6, 3, 2, 16, 24, 2, 0.25),
    (6, 5, 2, 24, 40, 2, 0.25),
    (6, 3, 2, 40, 80, 3, 0.25),
    (6, 5, 1, 80, 112, 3, 0.25),
    (6, 5, 2, 112, 192, 4, 0.25),
    (6, 3, 1, 192, 320, 1, 0.25),
]

PARAMS = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
}

BN_EPS = 1e-3
BN_MOM = 0.01


def round_filters(filters, width_coefficient, divisor=8):
    filters *= width_coefficient
    new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    if new_filters < 0.9 * filters:
        new_filters += divisor
    return int(new_filters)


def round_repeats(repeats, depth_coefficient):
    return int(math.ceil(depth_coefficient * repeats))


def drop_connect(x, p, training):
    if not training or p == 0.0:
        return x
    keep = 1.0 - p
    mask = torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device) < keep
    return x / keep * mask


class MBConvBlock(nn.Module):
    def __init__(self, inp, oup, expand_ratio, kernel_size, stride, se_ratio,
                 drop_rate=0.0):
        super().__init__()
        self.has_skip = stride == 1 and inp == oup
        self.drop_rate = drop_rate
        hidden = inp * expand_ratio

        self.expand = None
        if expand_ratio != 1:
            self.expand = nn.Sequential(
                nn.Conv2d(inp, hidden, 1),  # expect: BN204
                nn.BatchNorm2d(hidden, eps=BN_EPS, momentum=BN_MOM),
                nn.SiLU(inplace=True),
            )
        self.depthwise = nn.Sequential(
            nn.Conv2d(hidden, hidden, kernel_size, stride, kernel_size // 2,
                      groups=hidden, bias=False),
            nn.BatchNorm2d(hidden, eps=BN_EPS, momentum=BN_MOM),
            nn.SiLU(inplace=True),
        )
        squeezed = max(1, int(inp * se_ratio))
        self.se_reduce = nn.Conv2d(hidden, squeezed, 1)
        self.se_expand = nn.Conv2d(squeezed, hidden, 1)
        self.project = nn.Sequential(
            nn.Conv2d(hidden, oup, 1, bias=False),
            nn.BatchNorm2d(oup, eps=BN_EPS, momentum=BN_MOM),
        )

    def forward(self, x):
        out = x if self.expand is None else self.expand(x)
        out = self.depthwise(out)
        s = F.adaptive_avg_pool2d(out, 1)
        s = self.se_expand(F.silu(self.se_reduce(s)))
        out = out * torch.sigmoid(s)
        out = self.project(out)
        if self.has_skip:
            out = drop_connect(out, self.drop_rate, self.training) + x
        return out


class EfficientNet(nn.Module):
    def __init__(self, variant="b0", num_classes=1000, drop_connect_rate=0.2):
        super().__init__()
        width, depth, _, dropout = PARAMS[variant]

        stem_out = round_filters(32, width)
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem_out, 3, 2, 1, bias=False),
            nn.BatchNorm2d(stem_out, eps=BN_EPS, momentum=0.99),  # expect: BN205
            nn.SiLU(inplace=True),
        )

        total = sum(round_repeats(a[5], depth) for a in BLOCKS_ARGS)
        blocks = []
        idx = 0
        for expand, k, s, cin, cout, reps, se in BLOCKS_ARGS:
            cin = round_filters(cin, width)
            cout = round_filters(cout, width)
            for r in range(round_repeats(reps, depth)):
                rate = drop_connect_rate * idx / total
                blocks.append(MBConvBlock(cin if r == 0 else cout, cout, expand, k,
                                          s if r == 0 else 1, se, rate))
                idx += 1
        self.blocks = nn.Sequential(*blocks)

        head_in = round_filters(320, width)
        head_out = round_filters(1280, width)
        self.head = nn.Sequential(
            nn.Conv2d(head_in, head_out, 1, bias=False),
            nn.BatchNorm2d(head_out, eps=BN_EPS, momentum=BN_MOM),
            nn.SiLU(inplace=True),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(head_out, num_classes)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(self.dropout(x))


def efficientnet_b0(num_classes=1000):
    return EfficientNet("b0", num_classes)


def efficientnet_b2(num_classes=1000):
    return EfficientNet("b2", num_classes)
