"""MobileNetV3-Small with width multiplier, reduced tail and an embedding head."""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F


def make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class SEModule(nn.Module):
    def __init__(self, channels, rd_ratio=0.25):
        super().__init__()
        rd = make_divisible(channels * rd_ratio)
        self.conv_reduce = nn.Conv2d(channels, rd, 1, bias=True)
        self.act = nn.ReLU(inplace=True)
        self.conv_expand = nn.Conv2d(rd, channels, 1, bias=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = self.conv_expand(self.act(self.conv_reduce(s)))
        return x * F.hardsigmoid(s)


def conv_norm_act(in_ch, out_ch, k=1, stride=1, groups=1, norm_layer=nn.BatchNorm2d,
                  act_layer=nn.Hardswish):
    layers = [nn.Conv2d(in_ch, out_ch, k, stride, (k - 1) // 2, groups=groups, bias=False),
              norm_layer(out_ch)]
    if act_layer is not None:
        layers.append(act_layer(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, in_ch, k, exp_ch, out_ch, use_se, use_hs, stride, norm_layer):
        super().__init__()
        act = nn.Hardswish if use_hs else nn.ReLU
        self.use_res = stride == 1 and in_ch == out_ch
        layers = []
        if exp_ch != in_ch:
            layers.append(conv_norm_act(in_ch, exp_ch, 1, norm_layer=norm_layer, act_layer=act))
        layers.append(conv_norm_act(exp_ch, exp_ch, k, stride, groups=exp_ch,
                                    norm_layer=norm_layer, act_layer=act))
        if use_se:
            layers.append(SEModule(exp_ch))
        layers.append(conv_norm_act(exp_ch, out_ch, 1, norm_layer=norm_layer, act_layer=None))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        y = self.block(x)
        return x + y if self.use_res else y


# k, exp, out, se, hs, stride
SMALL_CFG = [
    [3, 16, 16, True, False, 2],
    [3, 72, 24, False, False, 2],
    [3, 88, 24, False, False, 1],
    [5, 96, 40, True, True, 2],
    [5, 240, 40, True, True, 1],
    [5, 240, 40, True, True, 1],
    [5, 120, 48, True, True, 1],
    [5, 144, 48, True, True, 1],
    [5, 288, 96, True, True, 2],
    [5, 576, 96, True, True, 1],
    [5, 576, 96, True, True, 1],
]


class MobileNetV3Small(nn.Module):
    def __init__(self, num_classes=1000, width_mult=1.0, reduced_tail=False,
                 embed_dim=1024, dropout=0.2):
        super().__init__()
        norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        adjust = lambda c: make_divisible(c * width_mult)
        tail = 2 if reduced_tail else 1

        stem_ch = adjust(16)
        layers = [conv_norm_act(3, stem_ch, 3, 2, norm_layer=norm_layer)]
        in_ch = stem_ch
        for i, (k, exp, out, se, hs, s) in enumerate(SMALL_CFG):
            if i >= len(SMALL_CFG) - 3:
                exp, out = exp // tail, out // tail
            exp_ch, out_ch = adjust(exp), adjust(out)
            layers.append(InvertedResidual(in_ch, k, exp_ch, out_ch, se, hs, s, norm_layer))
            in_ch = out_ch
        last_ch = 6 * in_ch
        layers.append(nn.Sequential(
            nn.Conv2d(in_ch, last_ch, 1, bias=False),
            norm_layer(6 * in_ch),
            nn.Hardswish(inplace=True),
        ))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.embed = nn.Sequential(
            nn.Flatten(1),
            nn.Linear(last_ch, embed_dim, bias=False),
            nn.BatchNorm1d(embed_dim, eps=0.001, momentum=0.01),
            nn.Hardswish(inplace=True),
        )
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(embed_dim, num_classes))

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.classifier(self.embed(x))


def mobilenet_v3_small_075(num_classes=1000):
    return MobileNetV3Small(num_classes, width_mult=0.75)
