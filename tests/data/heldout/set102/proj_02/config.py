from dataclasses import dataclass, field


@dataclass
class TrainConfig:
    data_root: str = "/data/cifar10"
    num_classes: int = 10
    batch_size_per_gpu: int = 64
    eval_batch_size: int = 1
    workers: int = 4
    epochs: int = 90
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    bn_momentum: float = 0.01
    widths: tuple = field(default_factory=lambda: (64, 128, 256, 512))
    out_dir: str = "runs"
