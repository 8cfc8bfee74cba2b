"""Central configuration for the defect-detection project.

Every script imports this module; keep values here rather than in the scripts
so that experiments are reproducible from the git history alone.
"""
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
CHECKPOINT_DIR = PROJECT_ROOT / "checkpoints"
LOG_DIR = PROJECT_ROOT / "logs"

SEED = 17

# ---------------------------------------------------------------- data
IMAGE_SIZE = 96
IN_CHANNELS = 1
CLASSES = ("ok", "scratch", "dent", "crack")
NUM_CLASSES = len(CLASSES)

DATA = {
    "num_train": 6145,
    "num_val": 640,
    "num_hard": 300,
    "noise_std": 0.15,
    "augment": True,
}

# ---------------------------------------------------------------- model
MODEL = {
    "widths": (32, 64, 128, 256),
    "dropout": 0.2,
}

# ---------------------------------------------------------------- training
TRAIN = {
    "batch_size": 64,
    "epochs": 25,
    "lr": 0.05,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "num_workers": 4,
}

HARD_EXAMPLES = {
    "batch_size": 4,
    "epochs": 3,
    "lr": 0.005,
}

# ---------------------------------------------------------------- evaluation
EVAL_BATCH_SIZE = 1
EVAL_EVERY = 5


def checkpoint_path(name):
    CHECKPOINT_DIR.mkdir(parents=True, exist_ok=True)
    return CHECKPOINT_DIR / f"{name}.pt"
