from dataclasses import dataclass, field


@dataclass
class DataConfig:
    root: str = "/datasets/imagenet"
    image_size: int = 224
    per_device_batch_size: int = 64
    eval_batch_size: int = 1
    workers: int = 10


@dataclass
class OptimConfig:
    lr: float = 0.5
    weight_decay: float = 5e-5
    epochs: int = 100
    warmup_epochs: int = 5
    label_smoothing: float = 0.1


@dataclass
class ExperimentConfig:
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    arch: str = "resnet26"
    sync_bn: bool = True
    amp: bool = True
    ema_decay: float = 0.99995
    output_dir: str = "experiments/resnet26"
