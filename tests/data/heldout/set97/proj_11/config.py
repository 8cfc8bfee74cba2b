"""Static configuration for the retail-shelf product detector backbone pre-training.

Kept as module constants / plain dicts so that they can be imported both by
the training script and by the offline evaluation notebook.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# BatchNorm settings copied from the original TF/Keras implementation.
BN_MOMENTUM = 0.99
BN_EPS = 1e-3

STEM_WIDTH = 64
STAGE_BLOCKS = (3, 4, 6, 3)
STAGE_PLANES = (64, 128, 256, 512)

TRAIN_CFG: dict[str, Any] = {
    "batch_size": 4,  # 1024x1024 shelf images, 24 GB card
    "epochs": 60,
    "lr": 2e-3,
    "weight_decay": 0.05,
    "num_workers": 8,
    "amp_dtype": "bfloat16",
}


@dataclass
class Paths:
    root: Path = Path("/mnt/shelves")
    train_index: Path = Path("/mnt/shelves/index/train.csv")
    val_index: Path = Path("/mnt/shelves/index/val.csv")
    out_dir: Path = Path("runs/shelf_backbone")
    extra: dict[str, str] = field(default_factory=dict)
