"""Model registry for the retrieval stack."""
from __future__ import annotations

from typing import Callable, Dict

import torch.nn as nn

from .towers import ItemTower, TwoTowerModel, UserTower

_REGISTRY: Dict[str, Callable[..., nn.Module]] = {
    "two_tower": TwoTowerModel,
}


def register(name: str, factory: Callable[..., nn.Module]) -> None:
    _REGISTRY[name] = factory


def build_model(cfg: dict) -> nn.Module:
    kwargs = {k: v for k, v in cfg.items() if k != "name"}
    return _REGISTRY[cfg["name"]](**kwargs)


__all__ = ["ItemTower", "TwoTowerModel", "UserTower", "build_model", "register"]
