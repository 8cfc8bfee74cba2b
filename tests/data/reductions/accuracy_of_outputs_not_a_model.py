import torch
from torch import nn

net = nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8), nn.Linear(8, 2))


def estimate_accuracy(model, batches):
    model.eval()
    correct = 0
    for data, labels in batches:
        correct += (model(data).argmax(1) == labels).sum().item()
    return correct


def accuracy(output, target):
    return (output.argmax(1) == target).float().mean()
