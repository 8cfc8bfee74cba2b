"""SE-ResNeXt-D backbone with a metric-learning embedding head.

ResNet-D tweaks: deep 3x3 stem (32-32-64) and average-pool downsampling in
the shortcut.  Bottlenecks use grouped 3x3 convs and squeeze-excitation.
"""
from functools import partial
from typing import Callable, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

default_norm = partial(nn.BatchNorm2d, eps=1e-5, momentum=0.03)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


def conv3x3(in_planes, out_planes, stride=1, groups=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1,
                     groups=groups, bias=False)


class SEModule(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, kernel_size=1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, kernel_size=1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s), inplace=True)))
        return x * s


class SEResNeXtBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, groups=32, base_width=4, stride=1,
                 downsample=None, norm_layer: Callable[..., nn.Module] = default_norm):
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride=stride, groups=groups)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * 4)
        self.se = SEModule(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.se(self.bn3(self.conv3(out)))
        return self.relu(out + shortcut)


class SEResNeXtD(nn.Module):
    def __init__(self, layers: List[int] = (3, 4, 6, 3), groups: int = 32, base_width: int = 4,
                 stem_width: int = 32, embedding_dim: int = 512,
                 norm_layer: Optional[Callable[..., nn.Module]] = None):
        super().__init__()
        norm_layer = norm_layer or default_norm
        self._norm_layer = norm_layer
        self.groups = groups
        self.base_width = base_width
        self.inplanes = stem_width * 2

        self.stem = nn.Sequential(
            conv3x3(3, stem_width, stride=2),
            norm_layer(stem_width),
            nn.ReLU(inplace=True),
            conv3x3(stem_width, stem_width),
            norm_layer(stem_width),
            nn.ReLU(inplace=True),
            conv3x3(stem_width, stem_width * 2),
            norm_layer(stem_width * 2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        )
        block = SEResNeXtBottleneck
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)

        self.embedding = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(512 * block.expansion, embedding_dim, bias=False),
            nn.BatchNorm1d(embedding_dim),
        )

    def _make_layer(self, block, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            pool = nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True) if stride > 1 else nn.Identity()
            downsample = nn.Sequential(
                pool,
                conv1x1(self.inplanes, planes * block.expansion),
                norm_layer(planes * block.expansion),
            )
        layers = [
            block(self.inplanes, planes, self.groups, self.base_width, stride, downsample, norm_layer)
        ]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, self.groups, self.base_width, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward_features(self, x):
        x = self.stem(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        return self.layer4(x)

    def forward(self, x):
        emb = self.embedding(self.forward_features(x))
        return F.normalize(emb, dim=1)


if __name__ == "__main__":
    model = SEResNeXtD(embedding_dim=256)
    print(model.embedding)
