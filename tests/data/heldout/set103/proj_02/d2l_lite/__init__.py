"""A tiny subset of the d2l helpers, so the course repo does not depend on d2l."""
from .data import load_data_fashion_mnist
from .engine import evaluate_accuracy, predict, prepare_inference, train_epoch
from .nets import resnet18

__all__ = ["load_data_fashion_mnist", "evaluate_accuracy", "predict", "prepare_inference",
           "train_epoch", "resnet18"]
