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


def from_checkpoint(path):
    if "plain" in path:
        net = Plain()
    else:
        net = Normed()
    net.load_state_dict(torch.load(path))
    return net
