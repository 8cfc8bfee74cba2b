"""R(2+1)D-18 video classifier with parameter-matched factorised convolutions,
plus a deployment helper that fuses conv+BN and traces the model.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import fuse_modules


def midplanes_for(in_planes, out_planes):
    # keep #params of the (2+1)D factorisation equal to a full 3x3x3 conv
    return (in_planes * out_planes * 3 * 3 * 3) // (in_planes * 3 * 3 + 3 * out_planes)


class Conv2Plus1D(nn.Module):
    def __init__(self, in_planes, out_planes, stride=1):
        super().__init__()
        mid = midplanes_for(in_planes, out_planes)
        self.spatial = nn.Conv3d(in_planes, mid, (1, 3, 3), (1, stride, stride), (0, 1, 1),
                                 bias=False)
        self.bn_mid = nn.BatchNorm3d(mid)
        self.relu = nn.ReLU(inplace=True)
        self.temporal = nn.Conv3d(mid, out_planes, (3, 1, 1), (stride, 1, 1), (1, 0, 0),
                                  bias=False)

    def forward(self, x):
        return self.temporal(self.relu(self.bn_mid(self.spatial(x))))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = Conv2Plus1D(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm3d(planes)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = Conv2Plus1D(planes, planes)
        self.bn2 = nn.BatchNorm3d(planes)
        self.relu2 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(out + residual)


class R2Plus1dStem(nn.Sequential):
    def __init__(self):
        super().__init__(
            nn.Conv3d(3, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False),
            nn.BatchNorm3d(45),
            nn.ReLU(inplace=True),
            nn.Conv3d(45, 64, (3, 1, 1), (1, 1, 1), (1, 0, 0), bias=False),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True),
        )


class R2Plus1D(nn.Module):
    def __init__(self, layers=(2, 2, 2, 2), num_classes=400):
        super().__init__()
        self.inplanes = 64
        self.stem = R2Plus1dStem()
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], 2)
        self.layer3 = self._make_layer(256, layers[2], 2)
        self.layer4 = self._make_layer(512, layers[3], 2)
        self.fc = nn.Linear(512 * BasicBlock.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * BasicBlock.expansion:
            downsample = nn.Sequential(
                nn.Conv3d(self.inplanes, planes * BasicBlock.expansion, 1,
                          stride=(stride, stride, stride), bias=False),
                nn.BatchNorm3d(planes * BasicBlock.expansion),
            )
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * BasicBlock.expansion
        for _ in range(1, blocks):
            layers.append(BasicBlock(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))
        return self.fc(F.adaptive_avg_pool3d(x, 1).flatten(1))


def prepare_for_deployment(ckpt_path, clip_len=16, crop=112):
    model = R2Plus1D(num_classes=400)
    model.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
    model.eval()
    fuse_modules(model.stem, [["0", "1", "2"], ["3", "4", "5"]], inplace=True)
    example = torch.randn(1, 3, clip_len, crop, crop)
    with torch.no_grad():
        scripted = torch.jit.trace(model, example)
    return scripted
