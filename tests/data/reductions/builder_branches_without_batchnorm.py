import torch
import torch.nn as nn


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)


class Wide(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 32)


def build(name):
    if name == "plain":
        net = Plain()
    else:
        net = Wide()
    return net


def trace(name):
    net = build(name)
    return torch.jit.trace(net, torch.randn(4, 8))
