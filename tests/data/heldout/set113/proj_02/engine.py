"""学習 / 評価ループ。評価モードの切り替えはコンテキストマネージャで行う。"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["評価モード", "学習モード保証", "train_one_epoch", "evaluate"]


@contextmanager
def 評価モード(model: nn.Module) -> Iterator[nn.Module]:
    元 = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(元)


def 学習モード保証(fn: Callable[..., float]) -> Callable[..., float]:
    @functools.wraps(fn)
    def 包み(model: nn.Module, *a, **kw) -> float:
        model.train()
        return fn(model, *a, **kw)
    return 包み


def _損失(出力: dict[str, torch.Tensor], 正解: torch.Tensor) -> torch.Tensor:
    return sum(F.binary_cross_entropy_with_logits(o, 正解[:, i].float()) for i, o in enumerate(出力.values()))


@学習モード保証
def train_one_epoch(model: nn.Module, loader, opt: torch.optim.Optimizer, dev: torch.device) -> float:
    合計 = 0.0
    for x, y in loader:
        x, y = x.to(dev, non_blocking=True), y.to(dev, non_blocking=True)
        opt.zero_grad(set_to_none=True)
        (l := _損失(model(x), y)).backward()
        opt.step()
        合計 += l.item()
    return 合計 / max(len(loader), 1)


def evaluate(model: nn.Module, loader, dev: torch.device) -> float:
    正 = 総 = 0
    with 評価モード(model), torch.no_grad():
        for x, y in loader:
            出力 = model(x.to(dev))
            予測 = torch.stack([(o > 0).long() for o in 出力.values()], 1).cpu()
            正 += (予測 == y).all(1).sum().item(); 総 += len(y)
    return 正 / max(総, 1)
