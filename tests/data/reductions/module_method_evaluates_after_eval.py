import torch
from torch import nn


class Wrapper(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def collect(self, valid_loader):
        with torch.no_grad():
            return [self.model(x) for x in valid_loader]


def main(valid_loader):
    model = Wrapper(nn.BatchNorm2d(8))
    model.eval()
    model.collect(valid_loader)
