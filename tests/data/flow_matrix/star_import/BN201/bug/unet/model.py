from .parts import *


class Encoder(nn.Module):
    def __init__(self, n_channels=3):
        super().__init__()
        self.inc = DoubleConv(n_channels, 64)
        self.down1 = Down(64, 128)
        self.proj = nn.Conv2d(128, 256, 1, bias=False)
        self.bn = nn.BatchNorm2d(128)

    def forward(self, x):
        x = self.down1(self.inc(x))
        return torch.relu(self.bn(self.proj(x)))
