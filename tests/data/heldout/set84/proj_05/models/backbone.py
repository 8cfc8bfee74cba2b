"""ResNet-18 style backbone with a configurable norm layer."""
import functools

import torch.nn as nn

import configs as C
from .blocks import BasicBlock, conv3x3

BatchNorm2d = functools.partial(nn.BatchNorm2d, momentum=C.BN_MOMENTUM)


class ResNetLike(nn.Module):
    def __init__(self, widths=C.STAGE_WIDTHS, depths=C.STAGE_DEPTHS, norm_layer=BatchNorm2d):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, C.STEM_WIDTH, kernel_size=7, stride=2, padding=3, bias=False),
            norm_layer(C.STEM_WIDTH),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        )
        in_ch = C.STEM_WIDTH
        stages = []
        for i, (w, d) in enumerate(zip(widths, depths)):
            blocks = []
            for j in range(d):
                stride = 2 if (j == 0 and i > 0) else 1
                blocks.append(BasicBlock(in_ch, w, stride=stride, norm_layer=norm_layer))
                in_ch = w
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.out_channels = in_ch

    def forward(self, x):
        return self.stages(self.stem(x))
