"""Reusable building blocks for the segmentation backbone, plus quick shape checks.

Run this file directly to push random tensors through every block and print
the resulting shapes before wiring the blocks into the full network.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBNAct(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel=3, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.SiLU(inplace=True),
        )


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduction=4):
        super().__init__()
        hidden = max(8, channels // reduction)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.fc2(F.silu(self.fc1(s))))
        return x * s


class MBConv(nn.Module):
    def __init__(self, in_ch, out_ch, expand=4, stride=1):
        super().__init__()
        mid = in_ch * expand
        self.use_res = stride == 1 and in_ch == out_ch
        self.expand = ConvBNAct(in_ch, mid, kernel=1)
        self.dw = ConvBNAct(mid, mid, kernel=3, stride=stride, groups=mid)
        self.se = SqueezeExcite(mid)
        self.project = nn.Conv2d(mid, out_ch, 1, bias=False)
        self.project_bn = nn.BatchNorm2d(out_ch)

    def forward(self, x):
        y = self.se(self.dw(self.expand(x)))
        y = self.project_bn(self.project(y))
        return x + y if self.use_res else y


class ProjectionHead(nn.Module):
    def __init__(self, in_dim, out_dim=128):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, in_dim, bias=False)
        self.bn = nn.BatchNorm1d(in_dim)
        self.fc2 = nn.Linear(in_dim, out_dim)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc2(F.relu(self.bn(self.fc1(x))))


def check_blocks():
    x = torch.randn(8, 32, 64, 64)
    stem = ConvBNAct(32, 64, stride=2)
    block = MBConv(64, 64)
    down = MBConv(64, 128, stride=2)
    head = ProjectionHead(128)
    for m in (stem, block, down, head):
        m.eval()
    with torch.no_grad():
        y = stem(x)
        print("stem", tuple(y.shape))
        y = block(y)
        print("mbconv", tuple(y.shape))
        y = down(y)
        print("mbconv/2", tuple(y.shape))
        print("head", tuple(head(y).shape))


def check_norms():
    pooled = torch.randn(16, 256)
    bn1 = nn.BatchNorm1d(256)
    print("bn1d (N, C)", tuple(bn1(pooled).shape))

    seq = torch.randn(16, 256, 50)
    print("bn1d (N, C, L)", tuple(bn1(seq).shape))

    feat_bn = nn.BatchNorm2d(256)
    out = feat_bn(pooled)  # expect: BN202
    print("bn2d", tuple(out.shape))

    fmap = torch.randn(8, 32, 28, 28)
    bn2 = nn.BatchNorm2d(32)
    print("bn2d (N, C, H, W)", tuple(bn2(fmap).shape))

    bn3 = nn.BatchNorm3d(32)
    print("bn3d", tuple(bn3(fmap).shape))  # expect: BN202


if __name__ == "__main__":
    torch.manual_seed(0)
    check_blocks()
    check_norms()
