"""共通レイヤ。正規化層は次元からファクトリで生成する。"""
from __future__ import annotations

from functools import partial
from typing import Callable

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = ["norm_factory", "ConvBN", "凍結BN", "BN一覧"]


def norm_factory(dim: int = 2, **kw) -> Callable[[int], nn.Module]:
    """dim=1/2/3 に応じて BatchNorm{dim}d を返す (momentum は Detectron 流に 0.01)。"""
    return partial(getattr(nn, f"BatchNorm{dim}d"), momentum=kw.pop("momentum", 0.01), **kw)


class ConvBN(nn.Sequential):
    def __init__(self, ci: int, co: int, k: int = 3, s: int = 1, act: bool = True, norm: Callable[[int], nn.Module] | None = None) -> None:
        norm = norm or norm_factory(2)
        super().__init__(nn.Conv2d(ci, co, k, s, k // 2, bias=False), norm(co), *( [nn.SiLU(inplace=True)] if act else [] ))


def BN一覧(m: nn.Module) -> list[_BatchNorm]:
    return [x for x in m.modules() if isinstance(x, _BatchNorm)]


def 凍結BN(m: nn.Module) -> nn.Module:
    """BN を推論モードに固定し、γ/β も学習しない。"""
    for bn in BN一覧(m):
        bn.eval()
        for p in bn.parameters():
            p.requires_grad_(False)
    return m
