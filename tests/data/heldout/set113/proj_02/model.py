from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from .layers import ConvBN, norm_factory, 凍結BN

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["欠陥検出器", "build_model"]

段幅 = (32, 64, 128, 256)
欠陥種別 = {"傷": 1, "汚れ": 1, "欠け": 1, "変色": 1}


class 欠陥検出器(nn.Module):
    def __init__(self, 幅: "Sequence[int]" = 段幅, 凍結ステム: bool = True) -> None:
        super().__init__()
        self.凍結ステム = 凍結ステム
        self.stem = nn.Sequential(ConvBN(3, 幅[0], 3, 2), ConvBN(幅[0], 幅[0]))
        self.stages = nn.Sequential(*[nn.Sequential(ConvBN(a, b, 3, 2), ConvBN(b, b)) for a, b in zip(幅[:-1], 幅[1:])])
        bn1d = norm_factory(1)
        self.heads = nn.ModuleDict({
            名: nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(幅[-1], 128, bias=False), bn1d(128), nn.ReLU(inplace=True), nn.Linear(128, n))
            for 名, n in 欠陥種別.items()
        })
        if 凍結ステム:
            凍結BN(self.stem)
            for p in self.stem.parameters():
                p.requires_grad_(False)

    def train(self, mode: bool = True) -> "欠陥検出器":
        super().train(mode)
        if self.凍結ステム:
            凍結BN(self.stem)  # model.train() してもステムの BN は推論モードのまま
        return self

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.stages(self.stem(x))
        return {名: h(f).squeeze(-1) for 名, h in self.heads.items()}


def build_model(重み: str | None = None) -> 欠陥検出器:
    m = 欠陥検出器()
    if 重み is not None:
        m.load_state_dict(torch.load(重み, map_location="cpu"), strict=False)
    return m
