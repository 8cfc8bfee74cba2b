import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import ResidualUnit, conv_bn_relu


class ASPP(nn.Module):
    def __init__(self, in_ch, out_ch=256, rates=(6, 12, 18)):
        super().__init__()
        self.branches = nn.ModuleList([conv_bn_relu(in_ch, out_ch, kernel_size=1)])
        for r in rates:
            self.branches.append(conv_bn_relu(in_ch, out_ch, dilation=r))
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_ch, out_ch, 1, bias=False), nn.ReLU(inplace=True))
        self.project = nn.Conv2d(out_ch * (len(rates) + 2), out_ch, 1, bias=False)
        self.project_bn = nn.BatchNorm2d(out_ch * 2)  # expect: BN201
        self.dropout = nn.Dropout2d(0.1)

    def forward(self, x):
        h, w = x.shape[-2:]
        feats = [b(x) for b in self.branches]
        feats.append(F.interpolate(self.image_pool(x), size=(h, w), mode="bilinear", align_corners=False))
        out = self.project_bn(self.project(torch.cat(feats, dim=1)))
        return self.dropout(F.relu(out))


class ASPPSegNet(nn.Module):
    def __init__(self, num_classes, width=64):
        super().__init__()
        self.stem = nn.Sequential(
            conv_bn_relu(3, width, stride=2),
            conv_bn_relu(width, width),
            conv_bn_relu(width, width * 2, stride=2),
        )
        self.stage1 = nn.Sequential(conv_bn_relu(width * 2, width * 4, stride=2), ResidualUnit(width * 4))
        self.stage2 = nn.Sequential(conv_bn_relu(width * 4, width * 8), ResidualUnit(width * 8, dilation=2), ResidualUnit(width * 8, dilation=4))
        self.aspp = ASPP(width * 8)
        self.classifier = nn.Conv2d(256, num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        x = self.stage2(self.stage1(self.stem(x)))
        x = self.classifier(self.aspp(x))
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def build_model(num_classes):
    return ASPPSegNet(num_classes)
