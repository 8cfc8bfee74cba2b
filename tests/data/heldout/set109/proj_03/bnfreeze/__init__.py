from .freeze import freeze_bn
from .net import ResNetTiny

__all__ = ["freeze_bn", "ResNetTiny"]
