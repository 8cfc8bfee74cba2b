"""Conv-BN-act building blocks; BN settings follow the TF port (see configs.py)."""
import torch.nn as nn

import configs as C


def norm2d(c):
    # positional: (num_features, eps, momentum)
    return nn.BatchNorm2d(c, C.BN_EPS, C.BN_MOMENTUM)


class ConvBNAct(nn.Module):
    def __init__(self, in_ch, out_ch, k=1, stride=1, groups=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, k, stride=stride, padding=k // 2, groups=groups, bias=False)
        self.bn = norm2d(out_ch)
        self.act = nn.ReLU(inplace=True) if act else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class SqueezeExcite(nn.Module):
    def __init__(self, ch, se_ch):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(ch, se_ch, 1)          # biases kept: no BN inside SE
        self.fc2 = nn.Conv2d(se_ch, ch, 1)

    def forward(self, x):
        s = self.pool(x)
        s = self.fc2(nn.functional.relu(self.fc1(s), inplace=True))
        return x * s.sigmoid()


class YBlock(nn.Module):
    """RegNetY bottleneck (expansion 1) with SE."""

    def __init__(self, in_ch, out_ch, stride, group_width, se_ratio):
        super().__init__()
        groups = max(out_ch // group_width, 1)
        self.a = ConvBNAct(in_ch, out_ch, 1)
        self.b = ConvBNAct(out_ch, out_ch, 3, stride=stride, groups=groups)
        self.se = SqueezeExcite(out_ch, max(int(in_ch * se_ratio), 1))
        self.c = ConvBNAct(out_ch, out_ch, 1, act=False)
        self.proj = None
        if stride != 1 or in_ch != out_ch:
            self.proj = ConvBNAct(in_ch, out_ch, 1, stride=stride, act=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        sc = x if self.proj is None else self.proj(x)
        y = self.c(self.se(self.b(self.a(x))))
        return self.relu(y + sc)
