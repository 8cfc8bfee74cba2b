"""Building blocks and dilated ResNet backbones (output stride 8)."""
from typing import List, Sequence

import torch
import torch.nn as nn

from . import register_backbone


class ConvBNAct(nn.Sequential):
    """Conv -> BN -> ReLU, the workhorse of the decode heads."""

    def __init__(self, cin, cout, kernel_size=3, stride=1, dilation=1, act=True):
        padding = dilation * (kernel_size // 2)
        layers = [
            nn.Conv2d(cin, cout, kernel_size, stride, padding, dilation=dilation, bias=False),
            nn.BatchNorm2d(cout, eps=1e-3, momentum=0.99),  # expect: BN205
        ]
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, padding=dilation, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class DilatedResNet(nn.Module):
    """ResNet whose last two stages use dilation instead of stride.

    `forward` returns the outputs of all four stages; `out_channels` lists
    their widths so heads can be built without running the network.
    """

    def __init__(self, layers: Sequence[int], deep_stem: bool = True):
        super().__init__()
        if deep_stem:
            self.stem = nn.Sequential(
                ConvBNAct(3, 32, stride=2),
                ConvBNAct(32, 32),
                ConvBNAct(32, 64),
                nn.MaxPool2d(3, 2, 1),
            )
        else:
            self.stem = nn.Sequential(
                nn.Conv2d(3, 64, 7, 2, 3, bias=False),
                nn.BatchNorm2d(64),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, 2, 1),
            )
        self.inplanes = 64
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], dilation=2)
        self.layer4 = self._make_layer(512, layers[3], dilation=4)
        self.out_channels: List[int] = [64, 128, 256, 512]
        self._init_weights()

    def _make_layer(self, planes, blocks, stride=1, dilation=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, 1, stride, bias=False),
                nn.BatchNorm2d(planes),
            )
        first_dilation = max(1, dilation // 2)
        layers = [BasicBlock(self.inplanes, planes, stride, first_dilation, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(BasicBlock(planes, planes, dilation=dilation))
        return nn.Sequential(*layers)

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def load_pretrained(self, path):
        state = torch.load(path, map_location="cpu")
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        missing, unexpected = self.load_state_dict(state, strict=False)
        return missing, unexpected

    def forward(self, x):
        x = self.stem(x)
        c1 = self.layer1(x)
        c2 = self.layer2(c1)
        c3 = self.layer3(c2)
        c4 = self.layer4(c3)
        return [c1, c2, c3, c4]


@register_backbone("resnet18_dilated")
def resnet18_dilated(**kwargs):
    return DilatedResNet([2, 2, 2, 2], **kwargs)


@register_backbone("resnet34_dilated")
def resnet34_dilated(**kwargs):
    return DilatedResNet([3, 4, 6, 3], **kwargs)
