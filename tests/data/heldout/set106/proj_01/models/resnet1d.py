import torch
import torch.nn as nn

from .blocks import ResidualBlock1d, conv_bn_act


class ResNet1d(nn.Module):
    """Small 1-D ResNet for raw accelerometer windows shaped (N, C, T)."""

    def __init__(self, in_channels, num_classes, widths=(32, 64, 128), dropout=0.3):
        super().__init__()
        self.stem = conv_bn_act(in_channels, 32, kernel_size=9)
        self.stage1 = ResidualBlock1d(32, 32)
        self.stage2 = ResidualBlock1d(32, 64, stride=2)
        self.stage3 = ResidualBlock1d(64, 128, stride=2)
        self.proj = nn.Conv1d(128, 256, kernel_size=1, bias=False)
        self.proj_bn = nn.BatchNorm1d(128)  # expect: BN201
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.stage3(self.stage2(self.stage1(x)))
        x = torch.relu(self.proj_bn(self.proj(x)))
        x = self.pool(x).flatten(1)
        return self.fc(self.drop(x))
