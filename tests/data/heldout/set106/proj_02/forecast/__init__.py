from .model import TSBatchNormMixer
from .engine import evaluate, train_one_epoch

__all__ = ["TSBatchNormMixer", "evaluate", "train_one_epoch"]
