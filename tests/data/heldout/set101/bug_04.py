"""A compact Inception-v3 style network for 149x149 inputs.

Branch outputs are concatenated along the channel axis; every conv is a
BasicConv2d (conv -> BN -> ReLU) as in the TF slim reference.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class InceptionA(nn.Module):
    def __init__(self, in_channels, pool_features):
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)
        self.out_channels = 64 + 64 + 96 + pool_features

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b5, b3, bp], 1)


class ReductionB(nn.Module):
    """Grid reduction 17x17 -> 8x8 (3x3 stride-2 branch written inline)."""

    def __init__(self, in_channels):
        super().__init__()
        self.branch3x3 = nn.Sequential(
            nn.Conv2d(in_channels, 384, kernel_size=3, stride=2, bias=False),
            nn.BatchNorm2d(384, 0.01),  # expect: BN206
            nn.ReLU(inplace=True),
        )
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)
        self.out_channels = 384 + 96 + in_channels

    def forward(self, x):
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, bd, bp], 1)


class InceptionAux(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.conv0 = nn.Conv2d(in_channels, 128, kernel_size=1, bias=False)
        self.bn0 = nn.BatchNorm2d(128, eps=0.001)
        self.conv1 = nn.Conv2d(128, 768, kernel_size=5, bias=False)
        self.bn1 = nn.BatchNorm2d(128, eps=0.001)  # expect: BN201
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x):
        x = F.avg_pool2d(x, kernel_size=5, stride=3)
        x = F.relu(self.bn0(self.conv0(x)), inplace=True)
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.fc(torch.flatten(x, 1))


class MiniInception(nn.Module):
    def __init__(self, num_classes=100, aux_logits=True):
        super().__init__()
        self.stem = nn.Sequential(
            BasicConv2d(3, 32, kernel_size=3, stride=2),
            BasicConv2d(32, 32, kernel_size=3),
            BasicConv2d(32, 64, kernel_size=3, padding=1),
            nn.MaxPool2d(kernel_size=3, stride=2),
            BasicConv2d(64, 80, kernel_size=1),
            BasicConv2d(80, 192, kernel_size=3),
        )
        self.mixed_5b = InceptionA(192, pool_features=32)    # -> 256
        self.mixed_5c = InceptionA(256, pool_features=64)    # -> 288
        self.mixed_5d = InceptionA(288, pool_features=64)    # -> 288
        self.aux = InceptionAux(288, num_classes) if aux_logits else None
        self.mixed_6a = ReductionB(288)                      # -> 768
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.mixed_5d(self.mixed_5c(self.mixed_5b(x)))
        aux = self.aux(x) if (self.aux is not None and self.training) else None
        x = self.mixed_6a(x)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        x = self.fc(self.dropout(torch.flatten(x, 1)))
        if aux is not None:
            return x, aux
        return x
