from functools import partial

import torch.nn as nn
from torchvision.ops.misc import Conv2dNormActivation


class MBConv(nn.Module):
    def __init__(self, in_channels, out_channels, expansion_ratio, stride, norm_layer, activation_layer=nn.GELU):
        super().__init__()
        mid_channels = int(out_channels * expansion_ratio)
        self.layers = nn.Sequential(
            norm_layer(in_channels),
            Conv2dNormActivation(in_channels, mid_channels, kernel_size=1, norm_layer=norm_layer,
                                 activation_layer=activation_layer),
            Conv2dNormActivation(mid_channels, mid_channels, kernel_size=3, stride=stride, groups=mid_channels,
                                 norm_layer=norm_layer, activation_layer=activation_layer),
            nn.Conv2d(mid_channels, out_channels, kernel_size=1, bias=True),
        )

    def forward(self, x):
        return self.layers(x)


class MaxVit(nn.Module):
    def __init__(self, input_size, stem_channels, block_channels, norm_layer=None, num_classes=1000):
        super().__init__()
        # values from the official (TensorFlow) MaxViT implementation
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.99)
        self.stem = nn.Sequential(
            Conv2dNormActivation(3, stem_channels, 3, stride=2, norm_layer=norm_layer, activation_layer=nn.GELU,
                                 bias=False),
            Conv2dNormActivation(stem_channels, stem_channels, 3, stride=1, norm_layer=None, activation_layer=None,
                                 bias=True),
        )
        blocks = []
        in_ch = stem_channels
        for out_ch in block_channels:
            blocks.append(MBConv(in_ch, out_ch, expansion_ratio=4, stride=2, norm_layer=norm_layer))
            in_ch = out_ch
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(self.pool(x).flatten(1))
