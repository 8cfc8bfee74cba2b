from torch import nn

from blocks import Bottleneck


def build(config):
    return nn.Sequential(*(Bottleneck(c.inp, c.mid, c.out) for c in config.stages))
