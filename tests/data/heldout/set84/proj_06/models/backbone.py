"""Plain 3D conv encoder: 3 stages of (conv_bn x2), stride-2 downsampling."""
import torch.nn as nn

import configs as C
from utils import conv_bn


class Encoder3D(nn.Module):
    def __init__(self, in_channels=C.IN_CHANNELS, widths=C.STAGE_WIDTHS):
        super().__init__()
        layers = []
        prev = in_channels
        for i, w in enumerate(widths):
            layers.append(conv_bn(prev, w, stride=1 if i == 0 else 2))
            layers.append(conv_bn(w, w))
            prev = w
        layers.append(conv_bn(prev, C.FEATURE_DIM, kernel_size=1))
        self.body = nn.Sequential(*layers)

        self.proj = nn.Conv3d(C.FEATURE_DIM, C.EMBED_DIM, kernel_size=1, bias=False)
        self.proj_bn = nn.BatchNorm3d(C.FEATURE_DIM)  # expect: BN201
        self.act = nn.ReLU(inplace=True)
        self.out_dim = C.EMBED_DIM

    def forward(self, x):
        x = self.body(x)
        x = self.act(self.proj_bn(self.proj(x)))
        return x
