"""Xception (Chollet, 2017) ported from keras.applications.xception.

Layer names follow the Keras model so that the converted h5 weights map
one-to-one.  Keras BatchNormalization defaults: epsilon=1e-3.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-3
BN_MOM = 0.01


class SeparableConv2d(nn.Module):
    """Depthwise conv followed by a pointwise conv (Keras SeparableConv2D)."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=1, dilation=1):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size, stride, padding, dilation,
                                   groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class EntryBlock(nn.Module):
    def __init__(self, in_channels, out_channels, start_with_relu=True):
        super().__init__()
        self.skip = nn.Conv2d(in_channels, out_channels, 1, stride=2)  # expect: BN204
        self.skip_bn = nn.BatchNorm2d(out_channels, eps=BN_EPS, momentum=BN_MOM)
        self.start_with_relu = start_with_relu
        self.sep1 = SeparableConv2d(in_channels, out_channels)
        self.bn1 = nn.BatchNorm2d(out_channels, eps=BN_EPS, momentum=BN_MOM)
        self.sep2 = SeparableConv2d(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels, eps=BN_EPS, momentum=BN_MOM)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x):
        residual = self.skip_bn(self.skip(x))
        out = F.relu(x) if self.start_with_relu else x
        out = self.bn1(self.sep1(out))
        out = self.bn2(self.sep2(F.relu(out)))
        return self.pool(out) + residual


class MiddleBlock(nn.Module):
    def __init__(self, channels=728):
        super().__init__()
        layers = []
        for _ in range(3):
            layers += [
                nn.ReLU(inplace=False),
                SeparableConv2d(channels, channels),
                nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOM),
            ]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.body(x)


class Xception(nn.Module):
    def __init__(self, num_classes=1000, middle_repeats=8):
        super().__init__()
        # entry flow
        self.block1_conv1 = nn.Conv2d(3, 32, 3, stride=2, padding=0, bias=False)
        self.block1_conv1_bn = nn.BatchNorm2d(32, eps=BN_EPS, momentum=BN_MOM)
        self.block1_conv2 = nn.Conv2d(32, 64, 3, padding=0, bias=False)
        self.block1_conv2_bn = nn.BatchNorm2d(64, eps=BN_EPS, momentum=BN_MOM)

        self.block2 = EntryBlock(64, 128, start_with_relu=False)
        self.block3 = EntryBlock(128, 256)
        self.block4 = EntryBlock(256, 728)

        # middle flow
        self.middle = nn.Sequential(*[MiddleBlock(728) for _ in range(middle_repeats)])

        # exit flow
        self.block13_skip = nn.Conv2d(728, 1024, 1, stride=2, bias=False)
        self.block13_skip_bn = nn.BatchNorm2d(1024, eps=BN_EPS, momentum=BN_MOM)
        self.block13_sep1 = SeparableConv2d(728, 728)
        self.block13_sep1_bn = nn.BatchNorm2d(728, eps=BN_EPS, momentum=0.99)  # expect: BN205
        self.block13_sep2 = SeparableConv2d(728, 1024)
        self.block13_sep2_bn = nn.BatchNorm2d(1024, eps=BN_EPS, momentum=BN_MOM)
        self.block13_pool = nn.MaxPool2d(3, stride=2, padding=1)

        self.block14_sep1 = SeparableConv2d(1024, 1536)
        self.block14_sep1_bn = nn.BatchNorm2d(1024, eps=BN_EPS, momentum=BN_MOM)  # expect: BN201
        self.block14_sep2 = SeparableConv2d(1536, 2048)
        self.block14_sep2_bn = nn.BatchNorm2d(2048, eps=BN_EPS, momentum=BN_MOM)

        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = F.relu(self.block1_conv1_bn(self.block1_conv1(x)))
        x = F.relu(self.block1_conv2_bn(self.block1_conv2(x)))
        x = self.block4(self.block3(self.block2(x)))
        x = self.middle(x)

        residual = self.block13_skip_bn(self.block13_skip(x))
        x = self.block13_sep1_bn(self.block13_sep1(F.relu(x)))
        x = self.block13_sep2_bn(self.block13_sep2(F.relu(x)))
        x = self.block13_pool(x) + residual

        x = F.relu(self.block14_sep1_bn(self.block14_sep1(x)))
        x = F.relu(self.block14_sep2_bn(self.block14_sep2(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


if __name__ == "__main__":
    model = Xception(num_classes=10, middle_repeats=2)
    print(model.fc)
