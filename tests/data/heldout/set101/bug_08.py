"""HRNet-W32 (two-branch/three-branch truncated version) for keypoint heatmaps.

Parallel high-to-low resolution branches with repeated multi-scale fusion.
"""
import torch
import torch.nn as nn

BN_MOMENTUM = 0.1
NUM_JOINTS = 17


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)  # expect: BN201
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + residual)


class FuseBranches(nn.Module):
    """Exchange information between branches of widths `channels`."""

    def __init__(self, channels):
        super().__init__()
        n = len(channels)
        self.fuse = nn.ModuleList()
        for i in range(n):
            row = nn.ModuleList()
            for j in range(n):
                if j > i:
                    row.append(nn.Sequential(
                        nn.Conv2d(channels[j], channels[i], 1, 1, 0, bias=False),
                        nn.BatchNorm2d(channels[i], momentum=BN_MOMENTUM),
                        nn.Upsample(scale_factor=2 ** (j - i), mode="nearest"),
                    ))
                elif j == i:
                    row.append(nn.Identity())
                else:
                    convs = []
                    for k in range(i - j):
                        out_ch = channels[i] if k == i - j - 1 else channels[j]
                        convs += [nn.Conv2d(channels[j], out_ch, 3, 2, 1, bias=False),
                                  nn.BatchNorm2d(out_ch, momentum=BN_MOMENTUM)]
                        if k != i - j - 1:
                            convs.append(nn.ReLU(inplace=True))
                    row.append(nn.Sequential(*convs))
            self.fuse.append(row)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, xs):
        outs = []
        for i, row in enumerate(self.fuse):
            y = xs[0] if i == 0 else row[0](xs[0])
            for j in range(1, len(xs)):
                y = y + (xs[j] if i == j else row[j](xs[j]))
            outs.append(self.relu(y))
        return outs


def make_transition(pre_channels, cur_channels):
    layers = nn.ModuleList()
    for i, c in enumerate(cur_channels):
        if i < len(pre_channels):
            if c != pre_channels[i]:
                layers.append(nn.Sequential(
                    nn.Conv2d(pre_channels[i], c, 3, 1, 1),  # expect: BN204
                    nn.BatchNorm2d(c, momentum=BN_MOMENTUM),
                    nn.ReLU(inplace=True)))
            else:
                layers.append(None)
        else:
            layers.append(nn.Sequential(
                nn.Conv2d(pre_channels[-1], c, 3, 2, 1, bias=False),
                nn.BatchNorm2d(c, momentum=BN_MOMENTUM),
                nn.ReLU(inplace=True)))
    return layers


class PoseHRNet(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 3, 2, 1, bias=False),
            nn.BatchNorm2d(64, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 64, 3, 2, 1, bias=False),
            nn.BatchNorm2d(64, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
        )
        down = nn.Sequential(
            nn.Conv2d(64, 64 * Bottleneck.expansion, 1, bias=False),
            nn.BatchNorm2d(64 * Bottleneck.expansion, momentum=BN_MOMENTUM),
        )
        self.layer1 = nn.Sequential(
            Bottleneck(64, 64, downsample=down),
            *[Bottleneck(256, 64) for _ in range(3)],
        )
        stage2_ch = [width, width * 2]
        stage3_ch = [width, width * 2, width * 4]
        self.transition1 = make_transition([256], stage2_ch)
        self.stage2 = nn.ModuleList([
            nn.Sequential(*[BasicBlock(c, c) for _ in range(4)]) for c in stage2_ch])
        self.fuse2 = FuseBranches(stage2_ch)
        self.transition2 = make_transition(stage2_ch, stage3_ch)
        self.stage3 = nn.ModuleList([
            nn.Sequential(*[BasicBlock(c, c) for _ in range(4)]) for c in stage3_ch])
        self.fuse3 = FuseBranches(stage3_ch)
        self.final_layer = nn.Conv2d(width, NUM_JOINTS, kernel_size=1)

    def _apply_transition(self, transition, xs):
        outs = []
        for i, t in enumerate(transition):
            src = xs[i] if i < len(xs) else xs[-1]
            outs.append(src if t is None else t(src))
        return outs

    def forward(self, x):
        x = self.layer1(self.stem(x))
        xs = self._apply_transition(self.transition1, [x])
        xs = self.fuse2([b(t) for b, t in zip(self.stage2, xs)])
        xs = self._apply_transition(self.transition2, xs)
        xs = self.fuse3([b(t) for b, t in zip(self.stage3, xs)])
        return self.final_layer(xs[0])
