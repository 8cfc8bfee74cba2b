import torch.nn as nn

from base import Model


class WaveFe(Model):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 8, 3, bias=False)
        self.bn = nn.BatchNorm1d(8)

    def forward(self, x):
        return self.bn(self.conv(x))
