import torch
import torch.nn as nn


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)


class Normed(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(8)


def build(name):
    if name == "plain":
        net = Plain()
    else:
        net = Normed()
    return net


def trace(name):
    net = build(name)
    return torch.jit.trace(net, torch.randn(4, 8))


def trace_in_eval(name):
    net = build(name)
    net.eval()
    return torch.jit.trace(net, torch.randn(4, 8))
