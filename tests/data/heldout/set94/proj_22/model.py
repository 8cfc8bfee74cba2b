"""Compact EfficientNet-like classifier (MBConv + squeeze-excitation)."""
import torch
import torch.nn as nn


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduced):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        # biased 1x1 convs feed SiLU/Sigmoid, not a BatchNorm
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.act = nn.SiLU()
        self.expand = nn.Conv2d(reduced, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand_ratio=4, stride=1, se_ratio=0.25):
        super().__init__()
        mid = cin * expand_ratio
        self.use_res = stride == 1 and cin == cout
        self.expand = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False),
            nn.BatchNorm2d(mid),
            nn.SiLU(),
        )
        self.depthwise = nn.Sequential(
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False),
            nn.BatchNorm2d(mid),
            nn.SiLU(),
        )
        self.se = SqueezeExcite(mid, max(1, int(cin * se_ratio)))
        self.project = nn.Sequential(
            nn.Conv2d(mid, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        out = self.project(self.se(self.depthwise(self.expand(x))))
        return x + out if self.use_res else out


class DefectNet(nn.Module):
    STAGES = [  # (cout, repeats, stride, expand)
        (24, 2, 2, 4),
        (40, 2, 2, 4),
        (80, 3, 2, 6),
        (112, 3, 1, 6),
        (192, 2, 2, 6),
    ]

    def __init__(self, num_classes=2, stem=32, head=640):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem, 3, 2, 1, bias=False),
            nn.BatchNorm2d(stem),
            nn.SiLU(),
        )
        blocks, cin = [], stem
        for cout, repeats, stride, expand in self.STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, expand, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Conv2d(cin, head, 1, bias=False),
            nn.BatchNorm2d(head),
            nn.SiLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(head, num_classes),
        )

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


if __name__ == "__main__":
    net = DefectNet()
    net.eval()
    with torch.no_grad():
        print(net(torch.randn(2, 3, 256, 256)).shape, count_parameters(net))
