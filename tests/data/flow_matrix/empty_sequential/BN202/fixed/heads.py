import torch.nn as nn


def projection_head(in_dim=512, hidden=256, out_dim=128):
    head = nn.Sequential()
    head.add_module("fc1", nn.Linear(in_dim, hidden))
    head.add_module("bn1", nn.BatchNorm1d(hidden))
    head.add_module("relu", nn.ReLU(inplace=True))
    head.add_module("fc2", nn.Linear(hidden, out_dim))
    return head
