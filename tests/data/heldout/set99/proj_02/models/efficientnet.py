"""EfficientNet-B0..B3 (Tan & Le, 2019).

The TF reference uses batch_norm_momentum=0.99 and epsilon=1e-3. PyTorch's
momentum is the weight of the new observation, hence momentum = 1 - 0.99.
"""
import math
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3']

BN_MOMENTUM = 1 - 0.99  # = 0.01
BN_EPS = 1e-3
BatchNorm = partial(nn.BatchNorm2d, eps=BN_EPS, momentum=BN_MOMENTUM)

# expand_ratio, kernel, stride, out_channels, repeats
BLOCKS_ARGS = [
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
]


def round_filters(filters, width_mult, divisor=8):
    filters *= width_mult
    new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    if new_filters < 0.9 * filters:
        new_filters += divisor
    return int(new_filters)


def round_repeats(repeats, depth_mult):
    return int(math.ceil(depth_mult * repeats))


def drop_path(x, drop_prob, training):
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)
    return x / keep_prob * mask


class SqueezeExcite(nn.Module):
    def __init__(self, in_chs, reduced_chs):
        super().__init__()
        self.conv_reduce = nn.Conv2d(in_chs, reduced_chs, 1, bias=True)
        self.conv_expand = nn.Conv2d(reduced_chs, in_chs, 1, bias=True)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = F.silu(self.conv_reduce(s))
        return x * torch.sigmoid(self.conv_expand(s))


class MBConv(nn.Module):
    def __init__(self, in_chs, out_chs, kernel_size, stride, expand_ratio, se_ratio=0.25,
                 drop_path_rate=0.0):
        super().__init__()
        mid_chs = in_chs * expand_ratio
        self.has_residual = stride == 1 and in_chs == out_chs
        self.drop_path_rate = drop_path_rate

        if expand_ratio != 1:
            self.conv_pw = nn.Conv2d(in_chs, mid_chs, 1, bias=False)
            self.bn1 = BatchNorm(mid_chs)
        else:
            self.conv_pw = None
        self.conv_dw = nn.Conv2d(mid_chs, mid_chs, kernel_size, stride, kernel_size // 2,
                                 groups=mid_chs, bias=False)
        self.bn2 = BatchNorm(mid_chs)
        self.se = SqueezeExcite(mid_chs, max(1, int(in_chs * se_ratio)))
        self.conv_pwl = nn.Conv2d(mid_chs, out_chs, 1, bias=False)
        self.bn3 = BatchNorm(out_chs)

    def forward(self, x):
        shortcut = x
        if self.conv_pw is not None:
            x = F.silu(self.bn1(self.conv_pw(x)))
        x = F.silu(self.bn2(self.conv_dw(x)))
        x = self.se(x)
        x = self.bn3(self.conv_pwl(x))
        if self.has_residual:
            x = drop_path(x, self.drop_path_rate, self.training) + shortcut
        return x


class EfficientNet(nn.Module):
    def __init__(self, width_mult=1.0, depth_mult=1.0, dropout=0.2, drop_path_rate=0.2,
                 num_classes=1000):
        super().__init__()
        stem_chs = round_filters(32, width_mult)
        self.conv_stem = nn.Conv2d(3, stem_chs, 3, 2, 1, bias=False)
        self.bn1 = BatchNorm(stem_chs)

        total = sum(round_repeats(r, depth_mult) for *_, r in BLOCKS_ARGS)
        blocks, idx, in_chs = [], 0, stem_chs
        for expand, k, s, c, r in BLOCKS_ARGS:
            out_chs = round_filters(c, width_mult)
            for i in range(round_repeats(r, depth_mult)):
                blocks.append(MBConv(in_chs, out_chs, k, s if i == 0 else 1, expand,
                                     drop_path_rate=drop_path_rate * idx / total))
                in_chs = out_chs
                idx += 1
        self.blocks = nn.Sequential(*blocks)

        head_chs = round_filters(1280, width_mult)
        self.conv_head = nn.Conv2d(in_chs, head_chs, 1, bias=False)
        self.bn2 = BatchNorm(head_chs)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(head_chs, num_classes)

    def forward(self, x):
        x = F.silu(self.bn1(self.conv_stem(x)))
        x = self.blocks(x)
        x = F.silu(self.bn2(self.conv_head(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(self.dropout(x))


def efficientnet_b0(**kwargs):
    return EfficientNet(1.0, 1.0, dropout=0.2, **kwargs)


def efficientnet_b1(**kwargs):
    return EfficientNet(1.0, 1.1, dropout=0.2, **kwargs)


def efficientnet_b2(**kwargs):
    return EfficientNet(1.1, 1.2, dropout=0.3, **kwargs)


def efficientnet_b3(**kwargs):
    return EfficientNet(1.2, 1.4, dropout=0.3, **kwargs)
