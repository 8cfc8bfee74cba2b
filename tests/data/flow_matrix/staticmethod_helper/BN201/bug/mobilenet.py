import torch.nn as nn

from tools import Layers

features = nn.Sequential(Layers.conv_bn(3, 32, 2), Layers.conv_bn(32, 64), Layers.conv_bn(64, 128, 2))
