"""EfficientNetV2-S ported from the official TF/Keras implementation.

Keras BatchNormalization uses ``momentum`` as the decay of the running
average (0.99) and ``epsilon=1e-3``; PyTorch uses ``momentum`` as the weight
of the new batch, hence the conversion below.
"""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

KERAS_BN_DECAY = 0.99
KERAS_BN_EPS = 1e-3

norm2d = partial(nn.BatchNorm2d, eps=KERAS_BN_EPS, momentum=1 - KERAS_BN_DECAY)

# (block type, expand ratio, kernel, stride, in, out, layers, se ratio)
V2_S_CONFIG = [
    ("fused", 1, 3, 1, 24, 24, 2, 0.0),
    ("fused", 4, 3, 2, 24, 48, 4, 0.0),
    ("fused", 4, 3, 2, 48, 64, 4, 0.0),
    ("mbconv", 4, 3, 2, 64, 128, 6, 0.25),
    ("mbconv", 6, 3, 1, 128, 160, 9, 0.25),
    ("mbconv", 6, 3, 2, 160, 256, 15, 0.25),
]


class SqueezeExcite(nn.Module):
    def __init__(self, channels, squeeze_channels):
        super().__init__()
        self.conv_reduce = nn.Conv2d(channels, squeeze_channels, 1)
        self.conv_expand = nn.Conv2d(squeeze_channels, channels, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = self.conv_expand(F.silu(self.conv_reduce(s)))
        return x * s.sigmoid()


class FusedMBConv(nn.Module):
    def __init__(self, in_ch, out_ch, expand_ratio, kernel_size, stride):
        super().__init__()
        mid_ch = in_ch * expand_ratio
        self.use_skip = stride == 1 and in_ch == out_ch
        if expand_ratio != 1:
            self.fused = nn.Conv2d(in_ch, mid_ch, kernel_size, stride, kernel_size // 2, bias=False)
            self.bn1 = norm2d(mid_ch)
            self.project = nn.Conv2d(mid_ch, out_ch, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(out_ch, 1e-3, 0.01)
        else:
            self.fused = nn.Conv2d(in_ch, out_ch, kernel_size, stride, kernel_size // 2, bias=False)
            self.bn1 = norm2d(out_ch)
            self.project = None

    def forward(self, x):
        out = F.silu(self.bn1(self.fused(x)))
        if self.project is not None:
            out = self.bn2(self.project(out))
        return out + x if self.use_skip else out


class MBConv(nn.Module):
    def __init__(self, in_ch, out_ch, expand_ratio, kernel_size, stride, se_ratio):
        super().__init__()
        mid_ch = in_ch * expand_ratio
        self.use_skip = stride == 1 and in_ch == out_ch
        self.expand = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            norm2d(mid_ch),
            nn.SiLU(inplace=True),
        )
        self.depthwise = nn.Sequential(
            nn.Conv2d(mid_ch, mid_ch, kernel_size, stride, kernel_size // 2, groups=mid_ch, bias=False),
            norm2d(mid_ch),
            nn.SiLU(inplace=True),
        )
        self.se = SqueezeExcite(mid_ch, max(1, int(in_ch * se_ratio)))
        self.project = nn.Sequential(
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),
            norm2d(out_ch),
        )

    def forward(self, x):
        out = self.project(self.se(self.depthwise(self.expand(x))))
        return out + x if self.use_skip else out


class EfficientNetV2(nn.Module):
    def __init__(self, config=V2_S_CONFIG, num_classes=1000, head_ch=1280, dropout=0.2):
        super().__init__()
        stem_ch = config[0][4]
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem_ch, 3, 2, 1, bias=False),
            nn.BatchNorm2d(stem_ch, eps=KERAS_BN_EPS, momentum=1.0 - KERAS_BN_DECAY),
            nn.SiLU(inplace=True),
        )
        blocks = []
        for kind, expand, k, s, c_in, c_out, n, se in config:
            for i in range(n):
                in_ch = c_in if i == 0 else c_out
                stride = s if i == 0 else 1
                if kind == "fused":
                    blocks.append(FusedMBConv(in_ch, c_out, expand, k, stride))
                else:
                    blocks.append(MBConv(in_ch, c_out, expand, k, stride, se))
        self.blocks = nn.Sequential(*blocks)
        last_ch = config[-1][5]
        self.head = nn.Sequential(
            nn.Conv2d(last_ch, head_ch, 1, bias=False),
            norm2d(head_ch),
            nn.SiLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(head_ch, num_classes),
        )

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


if __name__ == "__main__":
    model = EfficientNetV2(num_classes=10)
    print(len(model.blocks))
