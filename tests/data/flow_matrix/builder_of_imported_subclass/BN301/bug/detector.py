import torch.nn as nn
from parts import *


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone(64)
        self.head = nn.Conv2d(64, 4, 1)

    def forward(self, x):
        return self.head(self.backbone(x))
