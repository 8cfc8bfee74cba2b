"""EfficientDet BiFPN + class/box nets, ported from the TF AutoML checkpoint.

TF batch norm uses ``momentum=0.99`` meaning "keep 99% of the old running
value"; PyTorch's momentum is the weight of the new batch, so the port uses
``1 - 0.99``. ``eps`` is carried over unchanged (1e-3).
"""
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F

TF_BN_MOMENTUM = 0.99
BN_MOMENTUM = 1 - TF_BN_MOMENTUM  # 0.01 in PyTorch convention
BN_EPS = 1e-3


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class SeparableConvBlock(nn.Module):
    """Depthwise 3x3 -> pointwise 1x1 (-> BN) (-> swish)."""

    def __init__(self, in_channels, out_channels=None, norm=True, activation=False, pointwise_bias=None):
        super().__init__()
        out_channels = out_channels or in_channels
        if pointwise_bias is None:
            pointwise_bias = not norm
        self.depthwise_conv = nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=False)
        self.pointwise_conv = nn.Conv2d(in_channels, out_channels, 1, bias=pointwise_bias)
        self.norm = norm
        if self.norm:
            self.bn = nn.BatchNorm2d(num_features=out_channels, momentum=BN_MOMENTUM, eps=BN_EPS)
        self.activation = activation
        self.swish = Swish()

    def forward(self, x):
        x = self.pointwise_conv(self.depthwise_conv(x))
        if self.norm:
            x = self.bn(x)
        if self.activation:
            x = self.swish(x)
        return x


class BiFPNLayer(nn.Module):
    """One fast-normalised-fusion BiFPN layer over P3..P7."""

    def __init__(self, num_channels, epsilon=1e-4):
        super().__init__()
        self.epsilon = epsilon
        self.conv_up = nn.ModuleList(SeparableConvBlock(num_channels) for _ in range(4))  # P6..P3 top-down
        self.conv_down = nn.ModuleList(SeparableConvBlock(num_channels) for _ in range(4))  # P4..P7 bottom-up
        self.w_up = nn.Parameter(torch.ones(4, 2))
        self.w_down = nn.Parameter(torch.ones(4, 3))
        self.swish = Swish()

    def _fuse(self, w, feats):
        w = F.relu(w)
        w = w / (w.sum() + self.epsilon)
        return sum(wi * f for wi, f in zip(w, feats))

    def forward(self, feats):
        p3, p4, p5, p6, p7 = feats
        inputs = [p7, p6, p5, p4, p3]
        td = [p7]
        for i, x in enumerate(inputs[1:]):
            up = F.interpolate(td[-1], size=x.shape[-2:], mode="nearest")
            td.append(self.conv_up[i](self.swish(self._fuse(self.w_up[i], [x, up]))))
        td = td[::-1]  # p3_td .. p7
        outs = [td[0]]
        for i in range(1, 5):
            down = F.max_pool2d(outs[-1], kernel_size=3, stride=2, padding=1)
            down = F.interpolate(down, size=td[i].shape[-2:], mode="nearest")
            orig = feats[i]
            fused = self._fuse(self.w_down[i - 1], [orig, td[i], down] if i < 4 else [orig, down, down])
            outs.append(self.conv_down[i - 1](self.swish(fused)))
        return outs


class HeadNet(nn.Module):
    """Shared conv tower with per-level batch norms (BN statistics differ across levels)."""

    def __init__(self, in_channels, num_outputs, num_layers=3, num_levels=5):
        super().__init__()
        self.num_layers = num_layers
        self.conv_list = nn.ModuleList(
            SeparableConvBlock(in_channels, in_channels, norm=False, activation=False, pointwise_bias=False)
            for _ in range(num_layers))
        self.bn_list = nn.ModuleList(
            nn.ModuleList(nn.BatchNorm2d(in_channels, momentum=BN_MOMENTUM, eps=BN_EPS) for _ in range(num_layers))
            for _ in range(num_levels))
        self.header = SeparableConvBlock(in_channels, num_outputs, norm=False, activation=False)
        self.swish = Swish()

    def forward(self, inputs):
        feats = []
        for feat, bn_per_level in zip(inputs, self.bn_list):
            for conv, bn in zip(self.conv_list, bn_per_level):
                feat = self.swish(bn(conv(feat)))
            feats.append(self.header(feat))
        return feats


class EfficientDetHead(nn.Module):
    def __init__(self, num_channels=64, fpn_repeats=3, num_classes=90, num_anchors=9, box_class_repeats=3):
        super().__init__()
        self.bifpn = nn.Sequential(*[BiFPNLayer(num_channels) for _ in range(fpn_repeats)])
        self.class_net = HeadNet(num_channels, num_anchors * num_classes, box_class_repeats)
        self.box_net = HeadNet(num_channels, num_anchors * 4, box_class_repeats)
        self.num_classes = num_classes

    def forward(self, feats):
        feats = self.bifpn(feats)
        return self.class_net(feats), self.box_net(feats)


def load_tf_bn(bn, tf_vars, prefix):
    """Copy TF BN variables (gamma/beta/moving_mean/moving_variance) into a PyTorch BN."""
    with torch.no_grad():
        bn.weight.copy_(torch.as_tensor(tf_vars[prefix + "/gamma"]))
        bn.bias.copy_(torch.as_tensor(tf_vars[prefix + "/beta"]))
        bn.running_mean.copy_(torch.as_tensor(tf_vars[prefix + "/moving_mean"]))
        bn.running_var.copy_(torch.as_tensor(tf_vars[prefix + "/moving_variance"]))


def count_bn(module):
    return sum(1 for m in module.modules() if isinstance(m, nn.BatchNorm2d))


def anchors_per_level(image_size=512, levels=range(3, 8), scales=(1.0, 2 ** (1 / 3), 2 ** (2 / 3)),
                      ratios=(0.5, 1.0, 2.0), anchor_scale=4.0):
    out = []
    for lvl in levels:
        stride = 2 ** lvl
        ys, xs = torch.meshgrid(torch.arange(stride / 2, image_size, stride),
                                torch.arange(stride / 2, image_size, stride), indexing="ij")
        boxes = []
        for s, r in itertools.product(scales, ratios):
            base = anchor_scale * stride * s
            w, h = base * r ** 0.5, base / r ** 0.5
            boxes.append(torch.stack([ys - h / 2, xs - w / 2, ys + h / 2, xs + w / 2], dim=-1))
        out.append(torch.stack(boxes, dim=2).reshape(-1, 4))
    return out
