from .parts import *


class UNetEncoder(nn.Module):
    def __init__(self, n_channels=3):
        super().__init__()
        self.inc = DoubleConv(n_channels, 64)
        self.down1 = Down(64, 128)
        self.down2 = Down(128, 256)

    def forward(self, x):
        return self.down2(self.down1(self.inc(x)))
