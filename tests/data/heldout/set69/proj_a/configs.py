"""Experiment configurations for the segmentation code base.

Every experiment is an `ExperimentConfig`; `get_config(name)` returns a deep
copy so scripts can override fields from the command line.
"""
import copy
from dataclasses import dataclass, field, asdict
from typing import Dict, List, Tuple


@dataclass
class ModelConfig:
    name: str = "pspnet"
    backbone: str = "resnet18_dilated"
    num_classes: int = 19
    head_channels: int = 512
    aux_loss: bool = True
    aux_channels: int = 256
    pool_bins: Tuple[int, ...] = (1, 2, 3, 6)
    dropout: float = 0.1


@dataclass
class DataConfig:
    root: str = "/data/cityscapes"
    train_split: str = "train"
    val_split: str = "val"
    crop_size: Tuple[int, int] = (512, 1024)
    scale_range: Tuple[float, float] = (0.5, 2.0)
    ignore_index: int = 255
    mean: List[float] = field(default_factory=lambda: [0.485, 0.456, 0.406])
    std: List[float] = field(default_factory=lambda: [0.229, 0.224, 0.225])


@dataclass
class TrainConfig:
    batch_size: int = 16
    val_batch_size: int = 4
    workers: int = 8
    max_iters: int = 80_000
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    poly_power: float = 0.9
    aux_weight: float = 0.4
    eval_interval: int = 4000
    log_interval: int = 50
    amp: bool = True


@dataclass
class ExperimentConfig:
    name: str
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    work_dir: str = "work_dirs"

    def to_dict(self):
        return asdict(self)


EXPERIMENTS: Dict[str, ExperimentConfig] = {
    "pspnet_r18_cityscapes": ExperimentConfig(name="pspnet_r18_cityscapes"),
    "fcn_r18_cityscapes": ExperimentConfig(
        name="fcn_r18_cityscapes",
        model=ModelConfig(name="fcn", head_channels=256, aux_loss=False),
    ),
    "pspnet_r34_voc": ExperimentConfig(
        name="pspnet_r34_voc",
        model=ModelConfig(name="pspnet", backbone="resnet34_dilated", num_classes=21),
        data=DataConfig(root="/data/VOCaug", crop_size=(512, 512)),
        train=TrainConfig(batch_size=16, max_iters=40_000),
    ),
}


def get_config(name: str) -> ExperimentConfig:
    if name not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {name!r}; choose from {sorted(EXPERIMENTS)}")
    return copy.deepcopy(EXPERIMENTS[name])


def apply_overrides(cfg: ExperimentConfig, overrides: List[str]) -> ExperimentConfig:
    """Apply `section.key=value` overrides, e.g. `train.lr=0.02`."""
    for item in overrides:
        key, value = item.split("=", 1)
        section, attr = key.split(".", 1)
        target = getattr(cfg, section)
        current = getattr(target, attr)
        if isinstance(current, bool):
            value = value.lower() in ("1", "true", "yes")
        elif isinstance(current, (int, float)):
            value = type(current)(value)
        elif isinstance(current, tuple):
            value = tuple(type(current[0])(v) for v in value.split(","))
        setattr(target, attr, value)
    return cfg
