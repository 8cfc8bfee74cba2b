from .base import SegmentationModel, SegmentationHead, ClassificationHead, AuxClassificationHead
from .decoders.unet import Unet
from .encoders import get_encoder

__version__ = "0.3.1"

__all__ = [
    "SegmentationModel",
    "SegmentationHead",
    "ClassificationHead",
    "AuxClassificationHead",
    "Unet",
    "get_encoder",
]
