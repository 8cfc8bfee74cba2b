import torch.nn as nn

from models import conv3x3


class Stem(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.conv1 = conv3x3(3, width // 2, stride=2)
        self.bn1 = nn.BatchNorm2d(width // 2)
        self.conv2 = conv3x3(width // 2, width)
        self.bn2 = nn.BatchNorm2d(width)

    def forward(self, x):
        x = self.bn1(self.conv1(x)).relu()
        return self.bn2(self.conv2(x)).relu()
