from .batch_norm import FrozenBatchNorm2d, get_norm
from .wrappers import Conv2d

__all__ = ["FrozenBatchNorm2d", "get_norm", "Conv2d"]
