"""Feature Pyramid Network neck (mmdet-style) with an optional fused output.

The neck takes multi-level backbone features (C2..C5) and produces
``num_outs`` pyramid levels of ``out_channels`` each.  ``FusedFPN`` further
upsamples the first four levels and fuses them into one stride-4 map for
dense prediction heads.
"""
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


NECK_CFG = dict(
    in_channels=[256, 512, 1024, 2048],
    out_channels=256,
    num_outs=5,
    add_extra_convs="on_output",
)


class ConvModule(nn.Module):
    """Conv -> (BN) -> (ReLU)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 with_norm=True, with_act=True):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                              padding=padding, bias=not with_norm)
        self.bn = nn.BatchNorm2d(out_channels) if with_norm else None
        self.act = nn.ReLU(inplace=True) if with_act else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x


class FPN(nn.Module):
    def __init__(self, in_channels: Sequence[int], out_channels: int, num_outs: int,
                 start_level: int = 0, add_extra_convs: str = "on_output"):
        super().__init__()
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_ins = len(in_channels)
        self.num_outs = num_outs
        self.start_level = start_level
        self.add_extra_convs = add_extra_convs

        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        for i in range(start_level, self.num_ins):
            self.lateral_convs.append(ConvModule(in_channels[i], out_channels, 1, with_act=False))
            self.fpn_convs.append(ConvModule(out_channels, out_channels, 3, padding=1, with_act=False))

        extra_levels = num_outs - self.num_ins + start_level
        if add_extra_convs and extra_levels >= 1:
            for i in range(extra_levels):
                if i == 0 and add_extra_convs == "on_input":
                    in_ch = self.in_channels[-1]
                else:
                    in_ch = out_channels
                self.fpn_convs.append(
                    ConvModule(in_ch, out_channels, 3, stride=2, padding=1, with_act=False)
                )

    def forward(self, inputs: List[torch.Tensor]) -> List[torch.Tensor]:
        laterals = [conv(inputs[i + self.start_level]) for i, conv in enumerate(self.lateral_convs)]
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + F.interpolate(
                laterals[i], size=laterals[i - 1].shape[2:], mode="nearest"
            )
        outs = [self.fpn_convs[i](laterals[i]) for i in range(len(laterals))]
        if self.num_outs > len(outs):
            if self.add_extra_convs == "on_input":
                extra_src = inputs[-1]
            else:
                extra_src = outs[-1]
            outs.append(self.fpn_convs[len(laterals)](extra_src))
            for i in range(len(laterals) + 1, self.num_outs):
                outs.append(self.fpn_convs[i](F.relu(outs[-1])))
        return outs


class FusedFPN(nn.Module):
    """FPN whose first four outputs are upsampled and fused into one map."""

    def __init__(self, in_channels=(256, 512, 1024, 2048), out_channels=256, num_classes=19):
        super().__init__()
        self.fpn = FPN(in_channels, out_channels, num_outs=4, add_extra_convs="")
        self.fuse = nn.Sequential(
            nn.Conv2d(4 * out_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(4 * out_channels),  # expect: BN201
            nn.ReLU(inplace=True),
        )
        self.head = nn.Sequential(
            nn.Conv2d(out_channels, out_channels // 2, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels // 2, 0.1),  # expect: BN206
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels // 2, num_classes, kernel_size=1),
        )

    def forward(self, feats):
        p2, p3, p4, p5 = self.fpn(feats)
        size = p2.shape[2:]
        fused = torch.cat(
            [
                p2,
                F.interpolate(p3, size=size, mode="bilinear", align_corners=False),
                F.interpolate(p4, size=size, mode="bilinear", align_corners=False),
                F.interpolate(p5, size=size, mode="bilinear", align_corners=False),
            ],
            dim=1,
        )
        return self.head(self.fuse(fused))


def build_neck(cfg=NECK_CFG):
    return FPN(**cfg)


if __name__ == "__main__":
    neck = build_neck()
    seg = FusedFPN(num_classes=21)
    print(len(neck.fpn_convs), seg.head[-1])
