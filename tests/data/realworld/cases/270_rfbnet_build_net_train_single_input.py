import torch
import torch.nn as nn

from models.RFB_Net_vgg import build_net


class BasicConv(nn.Module):
    def __init__(self, in_planes, out_planes, kernel_size, stride=1, padding=0, dilation=1, groups=1, relu=True,
                 bn=True, bias=False):
        super().__init__()
        self.out_channels = out_planes
        self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=kernel_size, stride=stride, padding=padding,
                              dilation=dilation, groups=groups, bias=bias)
        self.bn = nn.BatchNorm2d(out_planes, eps=1e-5, momentum=0.01, affine=True) if bn else None
        self.relu = nn.ReLU(inplace=True) if relu else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.relu is not None:
            x = self.relu(x)
        return x


def add_extras_tail():
    # last SSD extra layers: 3x3 -> 1x1 feature maps
    return nn.Sequential(BasicConv(256, 128, kernel_size=1, stride=1),
                         BasicConv(128, 256, kernel_size=3, stride=1))


a = torch.randn(1, 3, 300, 300)
rfb = build_net("train")
out = rfb(a)
