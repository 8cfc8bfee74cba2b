import torch.nn as nn

from layers import norm_layer


class MBConvStem(nn.Module):
    def __init__(self, out_channels=32):
        super().__init__()
        self.conv = nn.Conv2d(3, out_channels, 3, stride=2, padding=1, bias=False)
        self.bn = norm_layer(out_channels)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))
