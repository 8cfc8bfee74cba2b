import torch
import torch.nn as nn


class Denoiser(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.Conv2d(width, 1, 3, padding=1))

    def forward(self, x):
        return x - self.body(x)


def create(weights=None, width=32, inference=False):
    net = Denoiser(width)
    if weights is not None:
        net.load_state_dict(torch.load(weights, map_location="cpu"))
    if inference:
        net.eval()
    return net
