"""EdgeNet: a small MobileNet-like classifier for the door-camera product."""
from .model import EdgeNet

__all__ = ["EdgeNet"]
__version__ = "0.3.1"
