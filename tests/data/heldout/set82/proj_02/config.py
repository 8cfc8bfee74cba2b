"""Shared settings for the ICBHI respiratory-sound classifier."""
from dataclasses import dataclass, field


@dataclass
class Config:
    data_root: str = "data/ICBHI_final_database"
    split_file: str = "data/ICBHI_challenge_train_test.txt"
    sample_rate: int = 4000
    cycle_seconds: float = 8.0
    n_mels: int = 64
    classes: tuple = ("normal", "crackle", "wheeze", "both")
    widths: list = field(default_factory=lambda: [32, 64, 128, 256])
    batch_size: int = 32
    epochs: int = 60
    lr: float = 5e-4
    out_dir: str = "runs/icbhi"
