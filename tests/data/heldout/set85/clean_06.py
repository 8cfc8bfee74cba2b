# Port of a small MobileNetV2/EfficientNet-lite style backbone from a TF checkpoint.
# TF used BatchNormalization(momentum=0.99, epsilon=1e-3). In PyTorch the momentum
# is the weight of the *new* batch, so it becomes 1 - 0.99 = 0.01.
import math
from collections import OrderedDict

import torch
import torch.nn as nn

TF_BN_MOMENTUM = 0.99
BN_MOMENTUM = 1 - TF_BN_MOMENTUM
BN_EPS = 1e-3


def _make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers += [
                nn.Conv2d(inp, hidden, 1, bias=False),
                nn.BatchNorm2d(hidden, eps=BN_EPS, momentum=BN_MOMENTUM),
                nn.ReLU6(inplace=True),
            ]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden, eps=BN_EPS, momentum=BN_MOMENTUM),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, oup, 1, bias=False),
            nn.BatchNorm2d(oup, BN_EPS, BN_MOMENTUM),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class LiteNet(nn.Module):
    # t, c, n, s
    CFG = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 40, 2, 2),
        (6, 80, 3, 2),
        (6, 112, 3, 1),
        (6, 192, 4, 2),
        (6, 320, 1, 1),
    ]

    def __init__(self, num_classes=1000, width_mult=1.0):
        super().__init__()
        cin = _make_divisible(32 * width_mult)
        self.stem = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(3, 32, 3, 2, 1, bias=False)),
            ("bn", nn.BatchNorm2d(32, eps=1e-3, momentum=0.01)),
            ("act", nn.ReLU6(inplace=True)),
        ]))
        cin = 32
        blocks = []
        for t, c, n, s in self.CFG:
            cout = _make_divisible(c * width_mult)
            for i in range(n):
                blocks.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Conv2d(cin, 1280, 1, bias=False),
            nn.BatchNorm2d(1280, 1e-3),          # second positional arg is eps = 0.001
            nn.ReLU6(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        # embedding neck: cumulative moving average for the running stats
        self.neck = nn.Sequential(
            nn.Linear(1280, 256, bias=False),
            nn.BatchNorm1d(256, momentum=None),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(256, num_classes))
        self._init()

    def _init(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 1.0 / math.sqrt(m.out_features))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.classifier(self.neck(x))


if __name__ == "__main__":
    net = LiteNet().eval()
    with torch.no_grad():
        print(net(torch.randn(2, 3, 224, 224)).shape)
    print(sum(p.numel() for p in net.parameters()) / 1e6, "M params")
