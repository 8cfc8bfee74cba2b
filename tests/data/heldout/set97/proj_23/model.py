"""ResNet-50 backbone with frozen early stages, plus a simple FCN head."""
from __future__ import annotations

import functools
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from config import BackboneConfig


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None,
                 norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = norm_layer(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = norm_layer(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class ResNetBackbone(nn.Module):
    def __init__(self, cfg: BackboneConfig) -> None:
        super().__init__()
        self.frozen_stages = cfg.frozen_stages
        norm_layer = functools.partial(nn.BatchNorm2d, eps=cfg.bn_eps, momentum=cfg.bn_momentum)
        self.inplanes = cfg.base_width
        self.conv1 = nn.Conv2d(3, cfg.base_width, 7, 2, 3, bias=False)
        self.bn1 = norm_layer(cfg.base_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.stages = nn.ModuleList()
        for i, blocks in enumerate(cfg.depth):
            planes = cfg.base_width * 2**i
            self.stages.append(self._make_stage(planes, blocks, 1 if i == 0 else 2, norm_layer))
        self.out_channels = self.inplanes
        self._freeze_stages()

    def _make_stage(self, planes: int, blocks: int, stride: int, norm_layer: Callable[..., nn.Module]) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * Bottleneck.expansion, 1, stride, bias=False),
                norm_layer(planes * Bottleneck.expansion),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample, norm_layer)]
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _freeze_stages(self) -> None:
        """Frozen modules get neither gradients nor running-stat updates."""
        if self.frozen_stages >= 0:
            for m in (self.conv1, self.bn1):
                m.eval()
                m.requires_grad_(False)
        for i in range(self.frozen_stages):
            stage = self.stages[i]
            stage.eval()
            stage.requires_grad_(False)

    def train(self, mode: bool = True) -> "ResNetBackbone":
        super().train(mode)
        self._freeze_stages()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for stage in self.stages:
            x = stage(x)
        return x


class FCN(nn.Module):
    def __init__(self, backbone: ResNetBackbone, num_classes: int, head_width: int = 512) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Sequential(
            nn.Conv2d(backbone.out_channels, head_width, 3, padding=1, bias=False),
            nn.BatchNorm2d(head_width),
            nn.ReLU(inplace=True),
            nn.Dropout2d(0.1),
            nn.Conv2d(head_width, num_classes, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        return F.interpolate(self.head(self.backbone(x)), size=size, mode="bilinear", align_corners=False)
