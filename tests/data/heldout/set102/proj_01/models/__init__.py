from .backbone import Backbone
from .segnet import SegNet, build_model

__all__ = ["Backbone", "SegNet", "build_model"]
