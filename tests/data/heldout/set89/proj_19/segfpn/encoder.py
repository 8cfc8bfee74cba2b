"""MobileNetV2 encoder ported from the TF-slim checkpoint.

TF-slim uses ``decay=0.997`` / ``epsilon=1e-3`` for batch norm. PyTorch's
momentum is the weight of the *new* statistic, hence ``1 - 0.997``.
"""
import torch.nn as nn

TF_BN_DECAY = 0.997
BN_MOMENTUM = 1 - TF_BN_DECAY
BN_EPS = 1e-3


def _make_divisible(v, divisor=8, min_value=None):
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class ConvBNReLU6(nn.Sequential):
    def __init__(self, in_planes, out_planes, kernel_size=3, stride=1, groups=1):
        padding = (kernel_size - 1) // 2
        super().__init__(
            nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(out_planes, eps=BN_EPS, momentum=BN_MOMENTUM),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        self.stride = stride
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup

        layers = []
        if expand_ratio != 1:
            layers.append(ConvBNReLU6(inp, hidden_dim, kernel_size=1))
        layers.extend([
            ConvBNReLU6(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup, eps=BN_EPS, momentum=BN_MOMENTUM),
        ])
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2Encoder(nn.Module):
    # t, c, n, s
    settings = [
        [1, 16, 1, 1],
        [6, 24, 2, 2],
        [6, 32, 3, 2],
        [6, 64, 4, 2],
        [6, 96, 3, 1],
        [6, 160, 3, 2],
        [6, 320, 1, 1],
    ]
    # indices after which a feature is returned (strides 4, 8, 16, 32)
    out_indices = (3, 6, 13, 17)

    def __init__(self, width_mult=1.0, in_channels=3):
        super().__init__()
        input_channel = _make_divisible(32 * width_mult)
        features = [ConvBNReLU6(in_channels, input_channel, stride=2)]
        channels = []
        for t, c, n, s in self.settings:
            output_channel = _make_divisible(c * width_mult)
            for i in range(n):
                features.append(InvertedResidual(input_channel, output_channel, s if i == 0 else 1, t))
                input_channel = output_channel
                channels.append(output_channel)
        self.features = nn.Sequential(*features)
        self.out_channels = [channels[i - 1] for i in self.out_indices]

    def forward(self, x):
        outs = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return outs
