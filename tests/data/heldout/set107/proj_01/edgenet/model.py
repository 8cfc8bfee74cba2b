import torch
import torch.nn as nn

from .layers import InvertedResidual, conv_bn

# (expand, out_channels, repeats, stride)
SETTINGS = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 2, 2),
    (6, 96, 2, 1),
    (6, 160, 1, 2),
]
LAST_CHANNELS = 256


class EdgeNet(nn.Module):
    def __init__(self, num_classes=4, dropout=0.2):
        super().__init__()
        features = [conv_bn(3, 32, stride=2)]
        in_ch = 32
        for t, c, n, s in SETTINGS:
            for i in range(n):
                features.append(InvertedResidual(in_ch, c, s if i == 0 else 1, expand_ratio=t))
                in_ch = c
        self.features = nn.Sequential(*features)
        self.proj = nn.Conv2d(160, LAST_CHANNELS, 1, bias=False)
        self.proj_bn = nn.BatchNorm2d(160)  # expect: BN201
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(LAST_CHANNELS, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = torch.relu6(self.proj_bn(self.proj(x)))
        return self.classifier(torch.flatten(self.pool(x), 1))
