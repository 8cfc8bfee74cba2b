import torch.nn as nn


def conv1x1(in_channels, out_channels):
    return nn.Conv2d(in_channels, out_channels, 1, bias=False)
