"""RegNetY-1.6GF style network built from the RegNet design-space parameters."""
import math
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-5
BN_MOM = 0.1


def bn2d(c):
    # (num_features, eps, momentum) positional, as in pycls
    return nn.BatchNorm2d(c, BN_EPS, BN_MOM)


def quantized_widths(w_a, w_0, w_m, depth, q=8):
    ws = []
    for j in range(depth):
        u = w_0 + w_a * j
        s = round(math.log(u / w_0) / math.log(w_m))
        ws.append(int(round(w_0 * w_m ** s / q) * q))
    widths, depths = [], []
    for w in ws:
        if widths and widths[-1] == w:
            depths[-1] += 1
        else:
            widths.append(w)
            depths.append(1)
    return widths, depths


class SqueezeExcite(nn.Module):
    def __init__(self, w_in, w_se):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.f_ex = nn.Sequential(nn.Conv2d(w_in, w_se, 1, bias=True), nn.ReLU(inplace=True),
                                  nn.Conv2d(w_se, w_in, 1, bias=True), nn.Sigmoid())

    def forward(self, x):
        return x * self.f_ex(self.avg_pool(x))


class YBlock(nn.Module):
    def __init__(self, w_in, w_out, stride, group_w, bot_mul=1.0, se_r=0.25):
        super().__init__()
        w_b = int(round(w_out * bot_mul))
        g = w_b // group_w
        self.a = nn.Conv2d(w_in, w_b, 1, bias=False)
        self.a_bn = bn2d(w_b)
        self.b = nn.Conv2d(w_b, w_b, 3, stride, 1, groups=g, bias=False)
        self.b_bn = nn.BatchNorm2d(w_b, BN_EPS, BN_MOM)
        self.se = SqueezeExcite(w_b, int(round(w_in * se_r)))
        self.c = nn.Conv2d(w_b, w_out, 1, bias=False)
        self.c_bn = nn.BatchNorm2d(w_out, eps=BN_EPS, momentum=BN_MOM)
        self.c_bn.final_bn = True
        self.proj = None
        if w_in != w_out or stride != 1:
            self.proj = nn.Conv2d(w_in, w_out, 1, stride, bias=False)
            self.proj_bn = bn2d(w_out)

    def forward(self, x):
        y = F.relu(self.a_bn(self.a(x)), inplace=True)
        y = F.relu(self.b_bn(self.b(y)), inplace=True)
        y = self.c_bn(self.c(self.se(y)))
        sc = x if self.proj is None else self.proj_bn(self.proj(x))
        return F.relu(sc + y, inplace=True)


class RegNetY(nn.Module):
    def __init__(self, w_a=20.71, w_0=48, w_m=2.65, depth=27, group_w=24,
                 stem_w=32, num_classes=1000):
        super().__init__()
        widths, depths = quantized_widths(w_a, w_0, w_m, depth)
        # make widths compatible with the group width (bottleneck multiplier 1)
        group_ws = [min(group_w, w) for w in widths]
        widths = [int(round(w / g) * g) for w, g in zip(widths, group_ws)]

        self.stem = nn.Sequential(
            nn.Conv2d(3, stem_w, 3, 2, 1, bias=False),
            nn.BatchNorm2d(stem_w, 1e-5, 0.1),
            nn.ReLU(inplace=True),
        )
        stages, w_in = [], stem_w
        for w, d, g in zip(widths, depths, group_ws):
            blocks = [YBlock(w_in if i == 0 else w, w, 2 if i == 0 else 1, g)
                      for i in range(d)]
            stages.append(nn.Sequential(*blocks))
            w_in = w
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(w_in, num_classes, bias=True)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                zero = hasattr(m, "final_bn") and m.final_bn
                m.weight.data.fill_(0.0 if zero else 1.0)
                m.bias.data.zero_()

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


regnety_1600mf = partial(RegNetY, w_a=20.71, w_0=48, w_m=2.65, depth=27, group_w=24)
regnety_400mf = partial(RegNetY, w_a=27.89, w_0=48, w_m=2.09, depth=16, group_w=8)
