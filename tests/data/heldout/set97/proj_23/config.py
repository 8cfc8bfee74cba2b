"""Experiment configuration (structured, OmegaConf/hydra-compatible dataclasses)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class BackboneConfig:
    depth: tuple[int, int, int, int] = (3, 4, 6, 3)
    base_width: int = 64
    frozen_stages: int = 1          # stem + first stage keep ImageNet weights and BN stats
    bn_momentum: float = 0.1        # PyTorch convention (weight of the new batch)
    bn_eps: float = 1e-5
    pretrained: Path = Path("weights/resnet50_in1k.pth")


@dataclass
class DataConfig:
    root: Path = Path("/data/ade20k")
    crop: int = 512
    batch_size: int = 16            # per GPU
    workers: int = 8


@dataclass
class OptimConfig:
    lr: float = 0.01
    weight_decay: float = 5e-4
    epochs: int = 80
    warmup_iters: int = 1500


@dataclass
class ExperimentConfig:
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    num_classes: int = 150
    ignore_index: int = 255
    out_dir: Path = Path("runs/ade20k_fcn_r50")
