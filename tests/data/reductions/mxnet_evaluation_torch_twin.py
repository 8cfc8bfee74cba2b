import torch
from torch import nn

net = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.Linear(16, 2))


def evaluate_accuracy(data_iter, net):
    acc = 0.0
    for X, y in data_iter:
        acc += (net(X).argmax(1) == y).sum().item()
    return acc
