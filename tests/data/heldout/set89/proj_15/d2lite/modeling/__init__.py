from .resnet import build_resnet_backbone
from .fcos import FCOS, build_model

__all__ = ["build_resnet_backbone", "FCOS", "build_model"]
