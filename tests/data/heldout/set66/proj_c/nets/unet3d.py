"""Residual 3D U-Net for multi-organ CT segmentation."""
from __future__ import annotations

from typing import List, Sequence

import torch
import torch.nn as nn

from .blocks import ResBlock3d, UpBlock3d, conv3x3x3


class ResUNet3d(nn.Module):
    def __init__(self, in_channels: int = 1, num_classes: int = 14, base: int = 24,
                 depth: int = 4, deep_supervision: bool = False):
        super().__init__()
        self.stem = nn.Sequential(
            conv3x3x3(in_channels, base),
            nn.BatchNorm3d(base * 2),  # expect: BN201
            nn.LeakyReLU(0.01, inplace=True),
        )
        widths = [base * 2 ** i for i in range(depth + 1)]
        self.encoder = nn.ModuleList(
            [ResBlock3d(widths[i], widths[i + 1], stride=2) for i in range(depth)]
        )
        self.decoder = nn.ModuleList(
            [UpBlock3d(widths[i + 1], widths[i], widths[i]) for i in reversed(range(depth))]
        )
        self.head = nn.Conv3d(base, num_classes, kernel_size=1)
        self.deep_supervision = deep_supervision
        if deep_supervision:
            self.aux_heads = nn.ModuleList(
                [nn.Conv3d(widths[i], num_classes, kernel_size=1) for i in range(1, depth)]
            )

    def forward(self, x: torch.Tensor):
        x = self.stem(x)
        skips: List[torch.Tensor] = [x]
        for block in self.encoder:
            x = block(x)
            skips.append(x)
        skips.pop()
        aux = []
        for up in self.decoder:
            x = up(x, skips.pop())
            aux.append(x)
        logits = self.head(x)
        if self.deep_supervision and self.training:
            extra = [h(a) for h, a in zip(self.aux_heads[::-1], aux[:-1])]
            return logits, extra
        return logits


def build_unet3d(cfg: dict) -> ResUNet3d:
    return ResUNet3d(
        in_channels=cfg.get("in_channels", 1),
        num_classes=cfg["num_classes"],
        base=cfg.get("base", 24),
        depth=cfg.get("depth", 4),
        deep_supervision=cfg.get("deep_supervision", False),
    )


def load_for_inference(ckpt_path: str, cfg: dict, device: str = "cuda") -> ResUNet3d:
    model = build_unet3d(cfg)
    state = torch.load(ckpt_path, map_location="cpu")
    state = {k.removeprefix("module."): v for k, v in state["model"].items()}
    model.load_state_dict(state)
    model.eval()
    return model.to(device)


def encoder_parameters(model: ResUNet3d) -> Sequence[nn.Parameter]:
    return list(model.stem.parameters()) + list(model.encoder.parameters())
