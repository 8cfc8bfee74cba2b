import torch
import torch.nn as nn


class IBNorm(nn.Module):
    """Combine Instance Norm and Batch Norm into One Layer"""

    def __init__(self, in_channels):
        super().__init__()
        self.bnorm_channels = int(in_channels / 2)
        self.inorm_channels = in_channels - self.bnorm_channels
        self.bnorm = nn.BatchNorm2d(self.bnorm_channels, affine=True)
        self.inorm = nn.InstanceNorm2d(self.inorm_channels, affine=False)

    def forward(self, x):
        bn_x = self.bnorm(x[:, :self.bnorm_channels, ...].contiguous())
        in_x = self.inorm(x[:, self.bnorm_channels:, ...].contiguous())
        return torch.cat((bn_x, in_x), 1)


class Conv2dIBNormRelu(nn.Module):
    """Convolution + IBNorm + ReLu"""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, with_ibn=True, with_relu=True):
        super().__init__()
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                            dilation=dilation, groups=groups, bias=bias)]
        if with_ibn:
            layers.append(IBNorm(out_channels))
        if with_relu:
            layers.append(nn.ReLU(inplace=True))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class LRBranch(nn.Module):
    def __init__(self, enc_channels=(16, 24, 32, 96, 1280)):
        super().__init__()
        self.conv_lr16x = Conv2dIBNormRelu(enc_channels[4], enc_channels[3], 5, stride=1, padding=2)
        self.conv_lr8x = Conv2dIBNormRelu(enc_channels[3], enc_channels[2], 5, stride=1, padding=2)

    def forward(self, enc32x):
        lr16x = self.conv_lr16x(nn.functional.interpolate(enc32x, scale_factor=2, mode="bilinear"))
        return self.conv_lr8x(nn.functional.interpolate(lr16x, scale_factor=2, mode="bilinear"))
