from .function import train, validate, JointsMSELoss
from .evaluate import accuracy, get_max_preds

__all__ = ["train", "validate", "JointsMSELoss", "accuracy", "get_max_preds"]
