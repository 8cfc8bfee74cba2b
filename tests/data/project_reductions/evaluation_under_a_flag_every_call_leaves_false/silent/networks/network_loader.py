import torch
from torch import nn


class UNet(nn.Module):
    def __init__(self, in_channels, classes):
        super().__init__()
        self.inc = nn.Sequential(nn.Conv2d(in_channels, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.outc = nn.Conv2d(32, classes, 1)

    def forward(self, x):
        return self.outc(self.inc(x))


def load_network(cfg, net_file):
    net = UNet(4, 1)
    net.load_state_dict(torch.load(net_file, map_location="cpu"))
    return net
