import torch.nn as nn

from widths import Widths


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, Widths.stem, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(Widths.stage1)

    def forward(self, x):
        return self.bn(self.conv(x)).relu()
