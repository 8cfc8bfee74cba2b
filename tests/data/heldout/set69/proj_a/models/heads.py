"""Decode heads and the segmentors that combine them with a backbone."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import register_segmentor
from .blocks import ConvBNAct


class PyramidPooling(nn.Module):
    def __init__(self, in_channels: int, bins: Sequence[int], reduction: int):
        super().__init__()
        self.stages = nn.ModuleList([
            nn.Sequential(nn.AdaptiveAvgPool2d(b), ConvBNAct(in_channels, reduction, kernel_size=1))
            for b in bins
        ])
        self.out_channels = in_channels + len(bins) * reduction

    def forward(self, x):
        size = x.shape[-2:]
        outs = [x]
        for stage in self.stages:
            outs.append(F.interpolate(stage(x), size=size, mode="bilinear", align_corners=False))
        return torch.cat(outs, dim=1)


class PSPHead(nn.Module):
    def __init__(self, in_channels, num_classes, channels=512, bins=(1, 2, 3, 6), dropout=0.1):
        super().__init__()
        self.ppm = PyramidPooling(in_channels, bins, in_channels // len(bins))
        self.bottleneck = ConvBNAct(self.ppm.out_channels, channels)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, x):
        return self.classifier(self.dropout(self.bottleneck(self.ppm(x))))


class FCNHead(nn.Module):
    def __init__(self, in_channels, num_classes, channels=256, num_convs=2, dropout=0.1):
        super().__init__()
        convs = [ConvBNAct(in_channels, channels)]
        for _ in range(num_convs - 1):
            convs.append(ConvBNAct(channels, channels))
        self.convs = nn.Sequential(*convs)
        self.fuse = ConvBNAct(in_channels + channels, channels)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, x):
        y = self.fuse(torch.cat([x, self.convs(x)], dim=1))
        return self.classifier(self.dropout(y))


class AuxHead(nn.Module):
    """Auxiliary head on the third stage, used only for the training loss."""

    def __init__(self, in_channels, num_classes, channels=256, dropout=0.1):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels // 2),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.Dropout2d(dropout),
            nn.Conv2d(channels, num_classes, 1),
        )

    def forward(self, x):
        return self.block(x)


class EncoderDecoder(nn.Module):
    head_cls = None

    def __init__(self, backbone, num_classes, channels, aux_channels=0, bins=(1, 2, 3, 6), dropout=0.1):
        super().__init__()
        self.backbone = backbone
        c3, c4 = backbone.out_channels[2], backbone.out_channels[3]
        self.decode_head = self.build_head(c4, num_classes, channels, bins, dropout)
        self.aux_head = AuxHead(c3, num_classes, aux_channels, dropout) if aux_channels > 0 else None

    def build_head(self, in_channels, num_classes, channels, bins, dropout):
        raise NotImplementedError

    def forward(self, x):
        size = x.shape[-2:]
        feats = self.backbone(x)
        out = F.interpolate(self.decode_head(feats[3]), size=size, mode="bilinear", align_corners=False)
        if self.training and self.aux_head is not None:
            aux = F.interpolate(self.aux_head(feats[2]), size=size, mode="bilinear", align_corners=False)
            return out, aux
        return out


@register_segmentor("pspnet")
class PSPNet(EncoderDecoder):
    def build_head(self, in_channels, num_classes, channels, bins, dropout):
        return PSPHead(in_channels, num_classes, channels, bins, dropout)


@register_segmentor("fcn")
class FCN(EncoderDecoder):
    def build_head(self, in_channels, num_classes, channels, bins, dropout):
        return FCNHead(in_channels, num_classes, channels, dropout=dropout)
