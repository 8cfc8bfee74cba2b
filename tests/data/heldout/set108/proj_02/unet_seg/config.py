from dataclasses import dataclass, field
from typing import Tuple


@dataclass
class TrainConfig:
    data_dir: str = "data/carvana"
    img_scale: float = 0.5
    val_percent: float = 0.1
    epochs: int = 5
    batch_size: int = 16
    lr: float = 1e-5
    weight_decay: float = 1e-8
    momentum: float = 0.999          # RMSprop momentum, not BatchNorm
    amp: bool = True
    bilinear: bool = False
    n_classes: int = 2
    n_channels: int = 3
    # BatchNorm settings shared by every block (PyTorch convention)
    bn_eps: float = 1e-3
    bn_momentum: float = 0.01
    checkpoint_dir: str = "checkpoints"
    mean: Tuple[float, float, float] = field(default=(0.485, 0.456, 0.406))
