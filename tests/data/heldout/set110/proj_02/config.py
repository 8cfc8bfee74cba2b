from dataclasses import dataclass, field


@dataclass
class Config:
    data_dir: str = "data"
    batch_size: int = 32
    epochs: int = 20
    lr: float = 0.1
    num_classes: int = 10
    width: int = 48
    bn_momentum: float = 0.01
    layers: tuple = field(default_factory=lambda: (2, 2, 2))
    checkpoint: str = "checkpoints/stl10_resnet.pt"


cfg = Config()
