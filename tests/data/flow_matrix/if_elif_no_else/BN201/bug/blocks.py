import torch.nn as nn


class ConvNorm(nn.Module):
    def __init__(self, in_channels, out_channels, norm="bn"):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 64, 3, padding=1, bias=False)
        if norm == "bn":
            self.norm = nn.BatchNorm2d(32)
        elif norm == "in":
            self.norm = nn.InstanceNorm2d(64, affine=True)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(self.norm(self.conv(x)))
