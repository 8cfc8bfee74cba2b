"""EfficientNet-style MBConv blocks with TF-compatible BatchNorm hyper-parameters."""
from functools import partial

import torch
import torch.nn as nn

# TF uses decay=0.99 -> PyTorch momentum = 1 - 0.99
BN_MOMENTUM = 0.01
BN_EPS = 1e-3


def make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduced):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, reduced, 1)
        self.fc2 = nn.Conv2d(reduced, channels, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))


class MBConv(nn.Module):
    def __init__(self, in_ch, out_ch, expand_ratio=6, stride=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or partial(nn.BatchNorm2d, eps=BN_EPS, momentum=BN_MOMENTUM)
        hidden = make_divisible(in_ch * expand_ratio)
        self.use_res = stride == 1 and in_ch == out_ch
        layers = []
        if expand_ratio != 1:
            layers += [nn.Conv2d(in_ch, hidden, 1, bias=False), norm_layer(hidden), nn.SiLU()]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            norm_layer(hidden),
            nn.SiLU(),
            SqueezeExcite(hidden, max(1, in_ch // 4)),
            nn.Conv2d(hidden, out_ch, 1, bias=False),
            norm_layer(out_ch),
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        out = self.block(x)
        return x + out if self.use_res else out


class TinyEfficientNet(nn.Module):
    # (expand, out_channels, repeats, stride)
    CONFIG = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 40, 2, 2), (6, 80, 3, 2), (6, 112, 3, 1)]

    def __init__(self, num_classes=1000, width_mult=1.0):
        super().__init__()
        stem_ch = make_divisible(32 * width_mult)
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem_ch, 3, 2, 1, bias=False),
            nn.BatchNorm2d(stem_ch, BN_EPS, BN_MOMENTUM),
            nn.SiLU(),
        )
        blocks, in_ch = [], stem_ch
        for expand, c, n, s in self.CONFIG:
            out_ch = make_divisible(c * width_mult)
            for i in range(n):
                blocks.append(MBConv(in_ch, out_ch, expand, s if i == 0 else 1))
                in_ch = out_ch
        self.blocks = nn.Sequential(*blocks)
        head_ch = make_divisible(1280 * max(1.0, width_mult))
        self.head = nn.Sequential(
            nn.Conv2d(in_ch, head_ch, 1, bias=False),
            nn.BatchNorm2d(head_ch, 1e-3),
            nn.SiLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(head_ch, num_classes),
        )

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


if __name__ == "__main__":
    net = TinyEfficientNet(num_classes=10)
    print(net(torch.randn(2, 3, 224, 224)).shape)
