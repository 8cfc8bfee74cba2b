from .model import SegmentationModel
from .modules import Conv2dReLU, Attention, Activation
from .heads import SegmentationHead, ClassificationHead, AuxClassificationHead

__all__ = [
    "SegmentationModel",
    "Conv2dReLU",
    "Attention",
    "Activation",
    "SegmentationHead",
    "ClassificationHead",
    "AuxClassificationHead",
]
