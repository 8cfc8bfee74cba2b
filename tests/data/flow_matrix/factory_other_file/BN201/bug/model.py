import torch.nn as nn

from factory import make_block


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(make_block(3, 32), make_block(32, 64, 2), make_block(64, 128, 2))

    def forward(self, x):
        return self.layers(x)
