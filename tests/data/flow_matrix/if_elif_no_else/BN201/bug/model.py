import torch.nn as nn

from blocks import ConvNorm


def make_stem(norm="bn"):
    return nn.Sequential(ConvNorm(3, 64, norm=norm), nn.MaxPool2d(2))
