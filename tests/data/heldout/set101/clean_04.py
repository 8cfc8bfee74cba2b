"""Inception-ResNet-v2 (reduced depth) with branch concatenation bookkeeping."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicConv2d(nn.Module):
    def __init__(self, in_planes, out_planes, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=kernel_size,
                              stride=stride, padding=padding, bias=False)
        # positional eps (0.001, as in TF slim), momentum as keyword
        self.bn = nn.BatchNorm2d(out_planes, 0.001, momentum=0.1, affine=True)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Mixed5b(nn.Module):
    """35x35 entry block: 96 + 64 + 96 + 64 = 320 channels out."""

    def __init__(self, in_planes=192):
        super().__init__()
        self.branch0 = BasicConv2d(in_planes, 96, 1)
        self.branch1 = nn.Sequential(BasicConv2d(in_planes, 48, 1),
                                     BasicConv2d(48, 64, 5, padding=2))
        self.branch2 = nn.Sequential(BasicConv2d(in_planes, 64, 1),
                                     BasicConv2d(64, 96, 3, padding=1),
                                     BasicConv2d(96, 96, 3, padding=1))
        self.branch3 = nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
                                     BasicConv2d(in_planes, 64, 1))
        self.out_planes = 96 + 64 + 96 + 64

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class Block35(nn.Module):
    """Inception-ResNet-A: concat(32, 32, 64) -> 1x1 up-projection (with bias) -> scaled residual."""

    def __init__(self, planes=320, scale=0.17):
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(planes, 32, 1)
        self.branch1 = nn.Sequential(BasicConv2d(planes, 32, 1),
                                     BasicConv2d(32, 32, 3, padding=1))
        self.branch2 = nn.Sequential(BasicConv2d(planes, 32, 1),
                                     BasicConv2d(32, 48, 3, padding=1),
                                     BasicConv2d(48, 64, 3, padding=1))
        self.conv2d = nn.Conv2d(32 + 32 + 64, planes, kernel_size=1)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x):
        out = torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1)
        out = self.conv2d(out)
        return self.relu(x + self.scale * out)


class Mixed6a(nn.Module):
    """35 -> 17 reduction: 384 + 384 + in_planes channels."""

    def __init__(self, in_planes=320):
        super().__init__()
        self.branch0 = BasicConv2d(in_planes, 384, 3, stride=2)
        self.branch1 = nn.Sequential(BasicConv2d(in_planes, 256, 1),
                                     BasicConv2d(256, 256, 3, padding=1),
                                     BasicConv2d(256, 384, 3, stride=2))
        self.branch2 = nn.MaxPool2d(3, stride=2)
        self.out_planes = 384 + 384 + in_planes

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1)


class InceptionResNetLite(nn.Module):
    def __init__(self, num_classes=1000, num_block35=5):
        super().__init__()
        self.stem = nn.Sequential(
            BasicConv2d(3, 32, 3, stride=2),
            BasicConv2d(32, 32, 3),
            BasicConv2d(32, 64, 3, padding=1),
            nn.MaxPool2d(3, stride=2),
            BasicConv2d(64, 80, 1),
            BasicConv2d(80, 192, 3),
            nn.MaxPool2d(3, stride=2),
        )
        self.mixed_5b = Mixed5b(192)
        c = self.mixed_5b.out_planes
        self.repeat = nn.Sequential(*[Block35(c, scale=0.17) for _ in range(num_block35)])
        self.mixed_6a = Mixed6a(c)
        c = self.mixed_6a.out_planes  # 1088
        # concatenated features are normalised once before the 1x1 reduction
        self.post_bn = nn.BatchNorm2d(384 + 384 + 320)
        self.conv2d_7b = BasicConv2d(c, 1536, 1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.last_linear = nn.Linear(1536, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.repeat(self.mixed_5b(x))
        x = F.relu(self.post_bn(self.mixed_6a(x)))
        x = self.conv2d_7b(x)
        return self.last_linear(self.avgpool(x).flatten(1))
