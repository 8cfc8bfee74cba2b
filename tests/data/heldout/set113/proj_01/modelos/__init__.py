from .blocos import conv3x3, conv_bn_relu, BlocoResidual
from .rede import RedePeixes

__all__ = ["conv3x3", "conv_bn_relu", "BlocoResidual", "RedePeixes"]
