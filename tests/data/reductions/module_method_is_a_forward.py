import torch
from torch import nn


class Wrapper(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def encode(self, x):
        return self.model(x)


def main(valid_loader):
    model = Wrapper(nn.BatchNorm2d(8))
    return [model.encode(x) for x in valid_loader]
