from .config import TrainConfig
from .model import UNet, load_for_inference

__all__ = ["TrainConfig", "UNet", "load_for_inference"]
