"""MobileNetV3-Large with a width multiplier and a BN-regularised classifier."""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F


def _make_divisible(v, divisor=8, min_value=None):
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class SqueezeExcitation(nn.Module):
    def __init__(self, input_channels, squeeze_factor=4):
        super().__init__()
        squeeze_channels = _make_divisible(input_channels // squeeze_factor, 8)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)

    def forward(self, x):
        scale = F.adaptive_avg_pool2d(x, 1)
        scale = F.relu(self.fc1(scale), inplace=True)
        scale = F.hardsigmoid(self.fc2(scale), inplace=True)
        return scale * x


class ConvBNActivation(nn.Sequential):
    def __init__(self, in_planes, out_planes, kernel_size=3, stride=1, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU6):
        padding = (kernel_size - 1) // 2
        super().__init__(
            nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding,
                      groups=groups, bias=False),
            norm_layer(out_planes),
            activation_layer(inplace=True),
        )
        self.out_channels = out_planes


class InvertedResidualConfig:
    def __init__(self, input_channels, kernel, expanded_channels, out_channels,
                 use_se, activation, stride, width_mult):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride

    @staticmethod
    def adjust_channels(channels, width_mult):
        return _make_divisible(channels * width_mult, 8)


class InvertedResidual(nn.Module):
    def __init__(self, cnf, norm_layer):
        super().__init__()
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        act = nn.Hardswish if cnf.use_hs else nn.ReLU
        layers = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(ConvBNActivation(cnf.input_channels, cnf.expanded_channels,
                                           kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=act))
        layers.append(ConvBNActivation(cnf.expanded_channels, cnf.expanded_channels,
                                       kernel_size=cnf.kernel, stride=cnf.stride,
                                       groups=cnf.expanded_channels,
                                       norm_layer=norm_layer, activation_layer=act))
        if cnf.use_se:
            layers.append(SqueezeExcitation(cnf.expanded_channels))
        layers.append(ConvBNActivation(cnf.expanded_channels, cnf.out_channels,
                                       kernel_size=1, norm_layer=norm_layer,
                                       activation_layer=nn.Identity))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        result = self.block(x)
        if self.use_res_connect:
            result = result + x
        return result


def large_config(width_mult=1.0):
    bneck = partial(InvertedResidualConfig, width_mult=width_mult)
    return [
        bneck(16, 3, 16, 16, False, "RE", 1),
        bneck(16, 3, 64, 24, False, "RE", 2),
        bneck(24, 3, 72, 24, False, "RE", 1),
        bneck(24, 5, 72, 40, True, "RE", 2),
        bneck(40, 5, 120, 40, True, "RE", 1),
        bneck(40, 5, 120, 40, True, "RE", 1),
        bneck(40, 3, 240, 80, False, "HS", 2),
        bneck(80, 3, 200, 80, False, "HS", 1),
        bneck(80, 3, 184, 80, False, "HS", 1),
        bneck(80, 3, 184, 80, False, "HS", 1),
        bneck(80, 3, 480, 112, True, "HS", 1),
        bneck(112, 3, 672, 112, True, "HS", 1),
        bneck(112, 5, 672, 160, True, "HS", 2),
        bneck(160, 5, 960, 160, True, "HS", 1),
        bneck(160, 5, 960, 160, True, "HS", 1),
    ]


class MobileNetV3(nn.Module):
    def __init__(self, num_classes=1000, width_mult=1.0, last_channel=1280,
                 dropout=0.2):
        super().__init__()
        setting = large_config(width_mult)
        norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)

        first_out = setting[0].input_channels
        layers = [ConvBNActivation(3, first_out, kernel_size=3, stride=2,
                                   norm_layer=norm_layer,
                                   activation_layer=nn.Hardswish)]
        for cnf in setting:
            layers.append(InvertedResidual(cnf, norm_layer))

        lastconv_input_channels = setting[-1].out_channels
        lastconv_output_channels = 6 * lastconv_input_channels
        layers.append(nn.Sequential(
            nn.Conv2d(lastconv_input_channels, lastconv_output_channels, 1, bias=False),
            norm_layer(lastconv_input_channels),  # expect: BN201
            nn.Hardswish(inplace=True),
        ))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(lastconv_output_channels, last_channel),  # expect: BN204
            nn.BatchNorm1d(last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.classifier(x)
