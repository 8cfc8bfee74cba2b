"""HRNetV2-W18-Small for semantic segmentation (4 branches, concat head)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_MOMENTUM = 0.01
ALIGN_CORNERS = False


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes * self.expansion, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes * self.expansion, momentum=BN_MOMENTUM)
        self.downsample = downsample

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + residual, inplace=True)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(planes, planes * Bottleneck.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4, momentum=BN_MOMENTUM)
        self.downsample = downsample

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = F.relu(self.bn2(self.conv2(out)), inplace=True)
        out = self.bn3(self.conv3(out))
        return F.relu(out + residual, inplace=True)


def make_fuse_layers(channels):
    n = len(channels)
    fuse = nn.ModuleList()
    for i in range(n):
        row = nn.ModuleList()
        for j in range(n):
            if j > i:
                row.append(nn.Sequential(
                    nn.Conv2d(channels[j], channels[i], 1, bias=False),
                    nn.BatchNorm2d(channels[i], momentum=BN_MOMENTUM)))
            elif j == i:
                row.append(nn.Identity())
            else:
                ops = []
                for k in range(i - j):
                    last = k == i - j - 1
                    cout = channels[i] if last else channels[j]
                    ops.append(nn.Conv2d(channels[j], cout, 3, 2, 1, bias=False))
                    ops.append(nn.BatchNorm2d(cout, momentum=BN_MOMENTUM))
                    if not last:
                        ops.append(nn.ReLU(inplace=True))
                row.append(nn.Sequential(*ops))
        fuse.append(row)
    return fuse


class HRStage(nn.Module):
    def __init__(self, channels, num_blocks=2):
        super().__init__()
        self.branches = nn.ModuleList(
            [nn.Sequential(*[BasicBlock(c, c) for _ in range(num_blocks)]) for c in channels])
        self.fuse = make_fuse_layers(channels)

    def forward(self, xs):
        xs = [b(x) for b, x in zip(self.branches, xs)]
        outs = []
        for i, row in enumerate(self.fuse):
            y = None
            for j, op in enumerate(row):
                z = op(xs[j])
                if j > i:
                    z = F.interpolate(z, size=xs[i].shape[-2:], mode="bilinear",
                                      align_corners=ALIGN_CORNERS)
                y = z if y is None else y + z
            outs.append(F.relu(y))
        return outs


class HRNetSeg(nn.Module):
    def __init__(self, num_classes=19, c=18):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 3, 2, 1, bias=False), nn.BatchNorm2d(64, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 64, 3, 2, 1, bias=False), nn.BatchNorm2d(64, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True))
        planes = 32
        down = nn.Sequential(nn.Conv2d(64, planes * Bottleneck.expansion, 1, bias=False),
                             nn.BatchNorm2d(planes * Bottleneck.expansion, momentum=BN_MOMENTUM))
        self.layer1 = nn.Sequential(Bottleneck(64, planes, downsample=down))
        stage1_out = planes * Bottleneck.expansion  # 128
        chs = [c, 2 * c, 4 * c, 8 * c]
        self.trans1 = nn.ModuleList([
            nn.Sequential(nn.Conv2d(stage1_out, chs[0], 3, 1, 1, bias=False),
                          nn.BatchNorm2d(chs[0], momentum=BN_MOMENTUM), nn.ReLU(inplace=True)),
            nn.Sequential(nn.Conv2d(stage1_out, chs[1], 3, 2, 1, bias=False),
                          nn.BatchNorm2d(chs[1], momentum=BN_MOMENTUM), nn.ReLU(inplace=True))])
        self.stage2 = HRStage(chs[:2])
        self.trans2 = nn.Sequential(nn.Conv2d(chs[1], chs[2], 3, 2, 1, bias=False),
                                    nn.BatchNorm2d(chs[2], momentum=BN_MOMENTUM),
                                    nn.ReLU(inplace=True))
        self.stage3 = HRStage(chs[:3])
        self.trans3 = nn.Sequential(nn.Conv2d(chs[2], chs[3], 3, 2, 1, bias=False),
                                    nn.BatchNorm2d(chs[3], momentum=BN_MOMENTUM),
                                    nn.ReLU(inplace=True))
        self.stage4 = HRStage(chs)

        last_inp_channels = sum(chs)  # 15 * c = 270 for W18
        self.last_layer = nn.Sequential(
            nn.Conv2d(last_inp_channels, last_inp_channels, 1, bias=False),
            nn.BatchNorm2d(15 * c, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(last_inp_channels, num_classes, 1))

    def forward(self, x):
        h, w = x.shape[-2:]
        x = self.layer1(self.stem(x))
        xs = self.stage2([t(x) for t in self.trans1])
        xs = self.stage3(xs + [self.trans2(xs[-1])])
        xs = self.stage4(xs + [self.trans3(xs[-1])])
        size = xs[0].shape[-2:]
        feats = [xs[0]] + [F.interpolate(f, size=size, mode="bilinear",
                                         align_corners=ALIGN_CORNERS) for f in xs[1:]]
        out = self.last_layer(torch.cat(feats, 1))
        return F.interpolate(out, size=(h, w), mode="bilinear", align_corners=ALIGN_CORNERS)
