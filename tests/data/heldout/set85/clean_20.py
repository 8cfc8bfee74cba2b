"""ResNet-50-D variant for 1-channel medical images (torchvision style).

Uses the usual helper functions and a configurable norm layer; the default
is a BatchNorm2d with TF-like hyper-parameters (converted to PyTorch's
momentum convention).
"""
from functools import partial
from typing import Callable, List, Optional, Type

import torch
import torch.nn as nn

DefaultNorm = partial(nn.BatchNorm2d, eps=1e-5, momentum=0.03)


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None, groups: int = 1, base_width: int = 64,
                 norm_layer: Optional[Callable[..., nn.Module]] = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNetD(nn.Module):
    def __init__(self, block: Type[Bottleneck], layers: List[int], num_classes: int = 2,
                 in_chans: int = 1, norm_layer: Callable[..., nn.Module] = DefaultNorm) -> None:
        super().__init__()
        self._norm_layer = norm_layer
        self.inplanes = 64
        stem_w = 32
        # deep stem: three 3x3 convs instead of one 7x7
        self.stem = nn.Sequential(
            conv3x3(in_chans, stem_w, stride=2), norm_layer(stem_w), nn.ReLU(inplace=True),
            conv3x3(stem_w, stem_w), norm_layer(stem_w), nn.ReLU(inplace=True),
            conv3x3(stem_w, self.inplanes), norm_layer(self.inplanes), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, Bottleneck):
                nn.init.zeros_(m.bn3.weight)

    def _make_layer(self, block, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            # ResNet-D shortcut: average-pool, then 1x1 conv without stride
            downsample = nn.Sequential(
                nn.AvgPool2d(stride, stride, ceil_mode=True) if stride > 1 else nn.Identity(),
                conv1x1(self.inplanes, planes * block.expansion),
                norm_layer(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, norm_layer=norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet50d(**kw) -> ResNetD:
    return ResNetD(Bottleneck, [3, 4, 6, 3], **kw)


if __name__ == "__main__":
    m = resnet50d(num_classes=3).eval()
    with torch.inference_mode():
        print(m(torch.zeros(2, 1, 256, 256)).shape)
