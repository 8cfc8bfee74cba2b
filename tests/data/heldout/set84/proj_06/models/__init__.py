from .backbone import Encoder3D
from .heads import GradeHead

import torch.nn as nn


class GradeNet(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.encoder = Encoder3D(in_channels)
        self.head = GradeHead(self.encoder.out_dim, num_classes)

    def forward(self, x):
        return self.head(self.encoder(x))
