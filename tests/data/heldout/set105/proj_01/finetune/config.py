from dataclasses import dataclass, field
from typing import Tuple


@dataclass
class TrainConfig:
    data_root: str = "data/stanford_cars"
    arch: str = "regnet_y_1_6gf"
    num_classes: int = 196
    img_size: int = 320
    batch_size: int = 48
    warmup_epochs: int = 3
    epochs: int = 20
    head_lr: float = 3e-3
    backbone_lr: float = 3e-4
    weight_decay: float = 5e-4
    mean: Tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: Tuple[float, float, float] = (0.229, 0.224, 0.225)
    out_dir: str = "runs/cars_regnety16"
    tags: list = field(default_factory=lambda: ["cars", "regnet"])
