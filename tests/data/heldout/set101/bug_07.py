"""1-D RegNet (RegNetX/Y design space) for 12-lead ECG classification.

Stage widths come from the quantised linear parameterisation
w_j = w_0 + w_a * j, quantised to w_0 * w_m^round(log(w_j / w_0) / log(w_m)).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_LEADS = 12


def generate_regnet_widths(w_a, w_0, w_m, depth, q=8):
    ws_cont = [w_0 + w_a * i for i in range(depth)]
    ks = [round(math.log(w / w_0) / math.log(w_m)) for w in ws_cont]
    ws = [int(round(w_0 * math.pow(w_m, k) / q) * q) for k in ks]
    stage_widths, stage_depths = [], []
    for w in ws:
        if stage_widths and stage_widths[-1] == w:
            stage_depths[-1] += 1
        else:
            stage_widths.append(w)
            stage_depths.append(1)
    return stage_widths, stage_depths


def adjust_widths_groups(widths, bottleneck_ratio, group_width):
    bottleneck = [int(w * bottleneck_ratio) for w in widths]
    groups = [min(group_width, wb) for wb in bottleneck]
    bottleneck = [int(round(wb / g) * g) for wb, g in zip(bottleneck, groups)]
    widths = [int(wb / bottleneck_ratio) for wb in bottleneck]
    return widths, groups


class SE1d(nn.Module):
    def __init__(self, width, squeeze):
        super().__init__()
        self.fc1 = nn.Conv1d(width, squeeze, 1)
        self.fc2 = nn.Conv1d(squeeze, width, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool1d(x, 1)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class BottleneckTransform1d(nn.Module):
    def __init__(self, w_in, w_out, stride, group_width, bot_mul=1.0, se_ratio=0.25):
        super().__init__()
        w_b = int(round(w_out * bot_mul))
        groups = w_b // group_width
        self.a = nn.Conv1d(w_in, w_b, 1, bias=False)
        self.a_bn = nn.BatchNorm1d(w_b)
        self.b = nn.Conv1d(w_b, w_b, 3, stride=stride, padding=1, groups=groups, bias=False)
        self.b_bn = nn.BatchNorm1d(w_b, w_b)  # expect: BN206
        self.se = SE1d(w_b, int(round(w_in * se_ratio))) if se_ratio else nn.Identity()
        self.c = nn.Conv1d(w_b, w_out, 1, bias=False)
        self.c_bn = nn.BatchNorm1d(w_out)
        nn.init.zeros_(self.c_bn.weight)

    def forward(self, x):
        x = F.relu(self.a_bn(self.a(x)), inplace=True)
        x = F.relu(self.b_bn(self.b(x)), inplace=True)
        x = self.se(x)
        return self.c_bn(self.c(x))


class ResBottleneckBlock1d(nn.Module):
    def __init__(self, w_in, w_out, stride, group_width, bot_mul=1.0, se_ratio=0.25):
        super().__init__()
        self.proj = None
        if w_in != w_out or stride != 1:
            self.proj = nn.Sequential(
                nn.Conv1d(w_in, w_out, 1, stride=stride, bias=False),
                nn.BatchNorm1d(w_out),
            )
        self.f = BottleneckTransform1d(w_in, w_out, stride, group_width, bot_mul, se_ratio)

    def forward(self, x):
        shortcut = x if self.proj is None else self.proj(x)
        return F.relu(shortcut + self.f(x), inplace=True)


class RegNet1d(nn.Module):
    def __init__(self, num_classes=27, stem_width=32, w_a=36.44, w_0=24, w_m=2.49,
                 depth=13, group_width=8, se_ratio=0.25):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(NUM_LEADS, stem_width, kernel_size=15, stride=2, padding=7, bias=False),
            nn.BatchNorm2d(stem_width),  # expect: BN202
            nn.ReLU(inplace=True),
        )
        widths, depths = generate_regnet_widths(w_a, w_0, w_m, depth)
        widths, groups = adjust_widths_groups(widths, 1.0, group_width)

        stages = []
        w_in = stem_width
        for w_out, d, g in zip(widths, depths, groups):
            blocks = []
            for i in range(d):
                blocks.append(ResBottleneckBlock1d(w_in, w_out, 2 if i == 0 else 1,
                                                   g, 1.0, se_ratio))
                w_in = w_out
            stages.append(nn.Sequential(*blocks))
        self.trunk = nn.Sequential(*stages)
        self.head = nn.Linear(w_in, num_classes)

    def forward(self, ecg):
        x = self.trunk(self.stem(ecg))
        x = F.adaptive_avg_pool1d(x, 1).flatten(1)
        return self.head(x)


def regnety_200mf_ecg(num_classes=27):
    return RegNet1d(num_classes=num_classes, w_a=36.44, w_0=24, w_m=2.49,
                    depth=13, group_width=8, se_ratio=0.25)
