"""Model registry and builders.

Backbones and segmentors register themselves with the decorators below; the
submodules are imported at the bottom of this file so that importing
`models` fills both registries.
"""
from typing import Callable, Dict

import torch.nn as nn

BACKBONES: Dict[str, Callable[..., nn.Module]] = {}
SEGMENTORS: Dict[str, Callable[..., nn.Module]] = {}


def _register(table, name):
    def deco(obj):
        if name in table:
            raise KeyError(f"{name!r} registered twice")
        table[name] = obj
        return obj
    return deco


def register_backbone(name):
    return _register(BACKBONES, name)


def register_segmentor(name):
    return _register(SEGMENTORS, name)


def build_backbone(name, **kwargs):
    try:
        return BACKBONES[name](**kwargs)
    except KeyError:
        raise KeyError(f"unknown backbone {name!r}; available: {sorted(BACKBONES)}") from None


def build_model(model_cfg):
    backbone = build_backbone(model_cfg.backbone)
    cls = SEGMENTORS[model_cfg.name]
    return cls(
        backbone=backbone,
        num_classes=model_cfg.num_classes,
        channels=model_cfg.head_channels,
        aux_channels=model_cfg.aux_channels if model_cfg.aux_loss else 0,
        bins=model_cfg.pool_bins,
        dropout=model_cfg.dropout,
    )


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


from . import blocks, heads  # noqa: E402,F401  (fills the registries)
