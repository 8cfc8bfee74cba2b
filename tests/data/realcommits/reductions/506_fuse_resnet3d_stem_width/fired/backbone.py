from torch import nn


class Net(nn.Module):
    def __init__(self, in_channels=3, width=32):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(in_channels, 64, 3, bias=False), nn.BatchNorm3d(width), nn.ReLU())
