"""YOLOv5-style PAN neck with CSP (C3) blocks and SPPF, width-multiplier aware."""
import math

import torch
import torch.nn as nn


def autopad(k, p=None):
    return k // 2 if p is None else p


def make_divisible(x, divisor=8):
    return math.ceil(x / divisor) * divisor


class ConvModule(nn.Module):
    """Conv2d + optional norm + activation; the conv bias is dropped when normalised."""

    def __init__(self, c1, c2, k=1, s=1, p=None, g=1, norm_layer=nn.BatchNorm2d, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, autopad(k, p), groups=g,
                              bias=norm_layer is None)
        self.bn = norm_layer(c2, eps=0.001, momentum=0.03) if norm_layer is not None else nn.Identity()
        self.act = nn.SiLU() if act else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True, e=1.0):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = ConvModule(c1, c_, 1, 1)
        self.cv2 = ConvModule(c_, c2, 3, 1)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    """CSP bottleneck with 3 convolutions: concat of two c_/2 paths -> cv3."""

    def __init__(self, c1, c2, n=1, shortcut=True, e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = ConvModule(c1, c_, 1, 1)
        self.cv2 = ConvModule(c1, c_, 1, 1)
        self.cv3 = ConvModule(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, e=1.0) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = ConvModule(c1, c_, 1, 1)
        self.cv2 = ConvModule(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class PANNeck(nn.Module):
    """Inputs: C3 (256w), C4 (512w), C5 (1024w); outputs P3, P4, P5 with the same widths."""

    def __init__(self, width_multiple=0.5, depth_multiple=0.33):
        super().__init__()
        w = lambda c: make_divisible(c * width_multiple, 8)
        d = lambda n: max(round(n * depth_multiple), 1)
        c3, c4, c5 = w(256), w(512), w(1024)

        self.sppf = SPPF(c5, c5)
        self.reduce5 = ConvModule(c5, c4, 1, 1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.td4 = C3(c4 + c4, c4, d(3), shortcut=False)
        self.reduce4 = ConvModule(c4, c3, 1, 1)
        self.td3 = C3(c3 + c3, c3, d(3), shortcut=False)

        self.down3 = ConvModule(c3, c3, 3, 2)
        self.bu4 = C3(c3 + c3, c4, d(3), shortcut=False)
        self.down4 = ConvModule(c4, c4, 3, 2)
        self.bu5 = C3(c4 + c4, c5, d(3), shortcut=False)
        self.out_channels = (c3, c4, c5)

    def forward(self, feats):
        x3, x4, x5 = feats
        x5 = self.sppf(x5)
        r5 = self.reduce5(x5)                                # c4
        t4 = self.td4(torch.cat([self.up(r5), x4], 1))       # c4
        r4 = self.reduce4(t4)                                # c3
        p3 = self.td3(torch.cat([self.up(r4), x3], 1))       # c3
        p4 = self.bu4(torch.cat([self.down3(p3), r4], 1))    # c4
        p5 = self.bu5(torch.cat([self.down4(p4), r5], 1))    # c5
        return p3, p4, p5


class DetectHead(nn.Module):
    def __init__(self, num_classes=80, anchors_per_level=3, channels=(128, 256, 512)):
        super().__init__()
        self.no = num_classes + 5
        self.na = anchors_per_level
        self.m = nn.ModuleList(nn.Conv2d(c, self.no * self.na, 1) for c in channels)

    def forward(self, xs):
        outs = []
        for conv, x in zip(self.m, xs):
            b, _, h, w = x.shape
            outs.append(conv(x).view(b, self.na, self.no, h, w).permute(0, 1, 3, 4, 2))
        return outs
