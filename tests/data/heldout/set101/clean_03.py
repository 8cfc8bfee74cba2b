"""DenseNet-BC for CIFAR (k=12, depth 100) and ImageNet (121/161) configurations.

Width bookkeeping: each dense layer adds `growth_rate` channels; a transition
compresses by `reduction`. The embedding head uses BatchNorm1d on (N, C).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Bottleneck(nn.Module):
    def __init__(self, in_planes, growth_rate, bn_size=4):
        super().__init__()
        inter_planes = bn_size * growth_rate
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, inter_planes, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.conv2 = nn.Conv2d(inter_planes, growth_rate, kernel_size=3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        return torch.cat([x, out], 1)


class Transition(nn.Module):
    def __init__(self, in_planes, out_planes):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_planes)
        self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv(F.relu(self.bn(x))), 2)


class DenseNet(nn.Module):
    def __init__(self, nblocks, growth_rate=12, reduction=0.5, num_classes=10,
                 bn_size=4, stem="cifar", embed_dim=0):
        super().__init__()
        self.growth_rate = growth_rate
        num_planes = 2 * growth_rate
        if stem == "cifar":
            self.stem = nn.Conv2d(3, num_planes, kernel_size=3, padding=1, bias=False)
        else:
            self.stem = nn.Sequential(
                nn.Conv2d(3, num_planes, kernel_size=7, stride=2, padding=3, bias=False),
                nn.BatchNorm2d(num_planes),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, 2, 1),
            )

        stages = []
        for i, n in enumerate(nblocks):
            layers = []
            for j in range(n):
                layers.append(Bottleneck(num_planes + j * growth_rate, growth_rate, bn_size))
            stages.append(nn.Sequential(*layers))
            num_planes += n * growth_rate
            if i < len(nblocks) - 1:
                out_planes = int(math.floor(num_planes * reduction))
                stages.append(Transition(num_planes, out_planes))
                num_planes = out_planes
        self.features = nn.Sequential(*stages)
        self.bn = nn.BatchNorm2d(num_planes)
        self.num_features = num_planes

        if embed_dim:
            self.head = nn.Sequential(
                nn.Linear(num_planes, embed_dim, bias=False),
                nn.BatchNorm1d(embed_dim),
                nn.ReLU(inplace=True),
                nn.Linear(embed_dim, num_classes),
            )
        else:
            self.head = nn.Linear(num_planes, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2.0 / n))
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                m.weight.data.fill_(1)
                m.bias.data.zero_()

    def forward(self, x):
        out = self.features(self.stem(x))
        out = F.relu(self.bn(out))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.head(out)


def densenet_bc_100_12(num_classes=10):
    depth = 100
    n = (depth - 4) // 6  # bottleneck layers per block
    return DenseNet([n, n, n], growth_rate=12, reduction=0.5, num_classes=num_classes)


def densenet121(num_classes=1000):
    return DenseNet([6, 12, 24, 16], growth_rate=32, num_classes=num_classes,
                    stem="imagenet")


def densenet161_embed(num_classes=1000):
    return DenseNet([6, 12, 36, 24], growth_rate=48, num_classes=num_classes,
                    stem="imagenet", embed_dim=512)
