from dataclasses import dataclass


@dataclass
class Config:
    batch_size: int = 64
    hidden: int = 256
    out_dim: int = 128
    lr: float = 1e-3
