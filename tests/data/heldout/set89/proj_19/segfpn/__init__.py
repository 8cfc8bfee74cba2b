from .model import FPN, ClassificationHead
from .encoder import MobileNetV2Encoder

__all__ = ["FPN", "ClassificationHead", "MobileNetV2Encoder"]
