"""RegNetY models (Radosavovic et al., 2020), simplified."""
import numpy as np
import torch
import torch.nn as nn

__all__ = ['regnety_400mf', 'regnety_800mf', 'regnety_1_6gf']


def conv_bn_act(in_chs, out_chs, kernel_size, stride=1, groups=1, act=True):
    layers = [
        nn.Conv2d(in_chs, out_chs, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_chs),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class SE(nn.Module):
    def __init__(self, chs, rd_chs):
        super().__init__()
        self.fc1 = nn.Conv2d(chs, rd_chs, 1)
        self.fc2 = nn.Conv2d(rd_chs, chs, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = torch.relu(self.fc1(s))
        return x * torch.sigmoid(self.fc2(s))


class YBlock(nn.Module):
    def __init__(self, in_chs, out_chs, stride, group_width, se_ratio=0.25):
        super().__init__()
        groups = out_chs // group_width
        self.a = conv_bn_act(in_chs, out_chs, 1)
        self.b = conv_bn_act(out_chs, out_chs, 3, stride, groups=groups)
        self.se = SE(out_chs, max(1, int(round(in_chs * se_ratio))))
        self.c = conv_bn_act(out_chs, out_chs, 1, act=False)
        self.shortcut = None
        if stride != 1 or in_chs != out_chs:
            self.shortcut = conv_bn_act(in_chs, out_chs, 1, stride, act=False)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        sc = x if self.shortcut is None else self.shortcut(x)
        x = self.c(self.se(self.b(self.a(x))))
        return self.act(x + sc)


def generate_widths(w_a, w_0, w_m, depth, q=8):
    ws_cont = np.arange(depth) * w_a + w_0
    ks = np.round(np.log(ws_cont / w_0) / np.log(w_m))
    ws = w_0 * np.power(w_m, ks)
    ws = (np.round(ws / q) * q).astype(int).tolist()
    return ws


class RegNet(nn.Module):
    def __init__(self, w_a, w_0, w_m, depth, group_width, num_classes=1000, stem_width=32):
        super().__init__()
        self.stem = conv_bn_act(3, stem_width, 3, stride=2)
        widths = generate_widths(w_a, w_0, w_m, depth)
        stage_widths, stage_depths = np.unique(widths, return_counts=True)
        blocks, in_chs = [], stem_width
        for w, d in zip(stage_widths.tolist(), stage_depths.tolist()):
            gw = min(group_width, w)
            w = int(round(w / gw) * gw)
            for i in range(d):
                blocks.append(YBlock(in_chs, w, 2 if i == 0 else 1, gw))
                in_chs = w
        self.trunk = nn.Sequential(*blocks)
        self.head = nn.Linear(in_chs, num_classes)

    def forward(self, x):
        x = self.trunk(self.stem(x))
        return self.head(x.mean((2, 3)))


def regnety_400mf(**kwargs):
    return RegNet(27.89, 48, 2.09, 16, 8, **kwargs)


def regnety_800mf(**kwargs):
    return RegNet(38.84, 56, 2.4, 14, 16, **kwargs)


def regnety_1_6gf(**kwargs):
    return RegNet(20.71, 48, 2.65, 27, 24, **kwargs)
