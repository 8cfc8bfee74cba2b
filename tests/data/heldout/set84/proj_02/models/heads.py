"""ASPP decoder head (DeepLab v3)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

import configs as C


def conv_bn_relu(in_ch, out_ch, kernel_size=1, dilation=1):
    padding = 0 if kernel_size == 1 else dilation
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size, padding=padding, dilation=dilation, bias=False),
        nn.BatchNorm2d(out_ch, momentum=C.BN_MOMENTUM),  # expect: BN205
        nn.ReLU(inplace=True),
    )


class ASPPPooling(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.proj = conv_bn_relu(in_ch, out_ch, 1)

    def forward(self, x):
        size = x.shape[-2:]
        y = self.proj(self.pool(x))
        return F.interpolate(y, size=size, mode="bilinear", align_corners=False)


class ASPPHead(nn.Module):
    def __init__(self, in_ch, num_classes, channels=C.ASPP_CHANNELS, rates=C.ASPP_RATES):
        super().__init__()
        branches = [conv_bn_relu(in_ch, channels, 1)]
        for r in rates:
            branches.append(conv_bn_relu(in_ch, channels, 3, dilation=r))
        branches.append(ASPPPooling(in_ch, channels))
        self.branches = nn.ModuleList(branches)
        self.project = nn.Sequential(
            conv_bn_relu(channels * len(branches), channels, 1),
            nn.Dropout(C.DECODER_DROPOUT),
        )
        self.refine = conv_bn_relu(channels, channels, 3)
        # final classifier: not followed by a norm layer
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, x):
        x = torch.cat([b(x) for b in self.branches], dim=1)
        x = self.project(x)
        x = self.refine(x)
        return self.classifier(x)
