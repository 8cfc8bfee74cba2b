from .resnet import BasicBlock, ResNet8
from .layers import conv3x3

__all__ = ["BasicBlock", "ResNet8", "conv3x3"]
