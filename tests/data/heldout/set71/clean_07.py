"""PAFPN neck (Path Aggregation FPN) in the mmdet config style.

Layers are described by ``norm_cfg`` dictionaries and built through
``build_norm_layer``; convolutions drop their bias when a norm follows.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

NORM_LAYERS = {
    "BN": nn.BatchNorm2d,
    "BN1d": nn.BatchNorm1d,
    "SyncBN": nn.SyncBatchNorm,
    "GN": nn.GroupNorm,
}


def build_norm_layer(cfg: Dict, num_features: int) -> Tuple[str, nn.Module]:
    cfg = dict(cfg)
    layer_type = cfg.pop("type")
    requires_grad = cfg.pop("requires_grad", True)
    if layer_type == "GN":
        layer = nn.GroupNorm(num_channels=num_features, **cfg)
    else:
        layer = NORM_LAYERS[layer_type](num_features, **cfg)
    for p in layer.parameters():
        p.requires_grad = requires_grad
    return layer_type.lower(), layer


class ConvModule(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, norm_cfg: Optional[Dict] = None, act: bool = True):
        super().__init__()
        with_norm = norm_cfg is not None
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                              bias=not with_norm)
        if with_norm:
            self.norm_name, norm = build_norm_layer(norm_cfg, out_channels)
            self.add_module(self.norm_name, norm)
        else:
            self.norm_name = None
        self.activate = nn.ReLU(inplace=True) if act else nn.Identity()

    def forward(self, x):
        x = self.conv(x)
        if self.norm_name is not None:
            x = getattr(self, self.norm_name)(x)
        return self.activate(x)


class PAFPN(nn.Module):
    def __init__(self, in_channels: Sequence[int], out_channels: int, num_outs: int,
                 norm_cfg: Optional[Dict] = None):
        super().__init__()
        self.in_channels = list(in_channels)
        self.num_ins = len(in_channels)
        self.num_outs = num_outs

        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        for c in self.in_channels:
            self.lateral_convs.append(ConvModule(c, out_channels, 1, norm_cfg=norm_cfg, act=False))
            self.fpn_convs.append(ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg,
                                             act=False))

        self.downsample_convs = nn.ModuleList()
        self.pafpn_convs = nn.ModuleList()
        for _ in range(1, self.num_ins):
            self.downsample_convs.append(
                ConvModule(out_channels, out_channels, 3, stride=2, padding=1, norm_cfg=norm_cfg)
            )
            self.pafpn_convs.append(
                ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg)
            )

        self.level_fuse = nn.Sequential(
            nn.Conv2d(out_channels * 2, out_channels, kernel_size=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, inputs: List[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        laterals = [conv(inputs[i]) for i, conv in enumerate(self.lateral_convs)]
        for i in range(self.num_ins - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + F.interpolate(
                laterals[i], size=laterals[i - 1].shape[2:], mode="nearest"
            )
        inter_outs = [self.fpn_convs[i](laterals[i]) for i in range(self.num_ins)]

        for i in range(0, self.num_ins - 1):
            down = self.downsample_convs[i](inter_outs[i])
            inter_outs[i + 1] = self.level_fuse(torch.cat([inter_outs[i + 1], down], dim=1))

        outs = [inter_outs[0]]
        outs.extend(self.pafpn_convs[i - 1](inter_outs[i]) for i in range(1, self.num_ins))
        while len(outs) < self.num_outs:
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return tuple(outs)


neck_cfg = dict(
    in_channels=[256, 512, 1024, 2048],
    out_channels=256,
    num_outs=5,
    norm_cfg=dict(type="BN", momentum=0.03, eps=0.001),
)


def build_neck(cfg: Dict = neck_cfg) -> PAFPN:
    return PAFPN(**cfg)


if __name__ == "__main__":
    neck = build_neck()
    print(len(neck.lateral_convs), neck.level_fuse)
