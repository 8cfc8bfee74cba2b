import torch.nn as nn


def pick_act(name):
    if name == 'relu': return nn.ReLU()
    if name == 'linear': return lambda x: x
    raise ValueError(name)
