from torch import nn


def encoder(dim=32):
    return nn.Sequential(nn.Linear(16, dim, bias=False), nn.BatchNorm1d(dim), nn.ReLU(), nn.Linear(dim, dim))
