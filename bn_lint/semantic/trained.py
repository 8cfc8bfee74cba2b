"""Re-exports :mod:`bn_lint.semantic.modes.trained` (a model after a training step is in training mode)
under its old path."""
from .modes.trained import TRAINED, after_training_step, is_loss_value, loss_named

__all__ = ["TRAINED", "after_training_step", "is_loss_value", "loss_named"]
