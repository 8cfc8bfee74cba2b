from collections import OrderedDict

from torch import nn


def make_head(in_ch, num_classes, hidden=512, p_drop=0.3):
    return nn.Sequential(OrderedDict([
        ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flat", nn.Flatten()),
        ("fc1", nn.Linear(in_ch, hidden, bias=False)),
        ("bn1", nn.BatchNorm1d(hidden, momentum=0.05)),
        ("act", nn.ReLU(inplace=True)),
        ("drop", nn.Dropout(p_drop)),
        ("fc2", nn.Linear(hidden, num_classes)),
    ]))
