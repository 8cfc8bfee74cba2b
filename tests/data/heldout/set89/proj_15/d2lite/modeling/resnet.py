import torch.nn.functional as F
from torch import nn

from ..layers import Conv2d, FrozenBatchNorm2d, get_norm
from ..layers.wrappers import c2_msra_fill


class BasicStem(nn.Module):
    def __init__(self, in_channels=3, out_channels=64, norm="FrozenBN"):
        super().__init__()
        self.out_channels = out_channels
        self.stride = 4
        self.conv1 = Conv2d(in_channels, out_channels, kernel_size=7, stride=2, padding=3, bias=False,
                            norm=get_norm(norm, out_channels))
        c2_msra_fill(self.conv1)

    def forward(self, x):
        x = F.relu_(self.conv1(x))
        return F.max_pool2d(x, kernel_size=3, stride=2, padding=1)

    def freeze(self):
        for p in self.parameters():
            p.requires_grad = False
        FrozenBatchNorm2d.convert_frozen_batchnorm(self)
        return self


class BottleneckBlock(nn.Module):
    def __init__(self, in_channels, out_channels, bottleneck_channels, stride=1, norm="FrozenBN",
                 stride_in_1x1=True):
        super().__init__()
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        if in_channels != out_channels:
            self.shortcut = Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False,
                                   norm=get_norm(norm, out_channels))
        else:
            self.shortcut = None
        stride_1x1, stride_3x3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = Conv2d(in_channels, bottleneck_channels, kernel_size=1, stride=stride_1x1, bias=False,
                            norm=get_norm(norm, bottleneck_channels))
        self.conv2 = Conv2d(bottleneck_channels, bottleneck_channels, kernel_size=3, stride=stride_3x3,
                            padding=1, bias=False, norm=get_norm(norm, bottleneck_channels))
        self.conv3 = Conv2d(bottleneck_channels, out_channels, kernel_size=1, bias=False,
                            norm=get_norm(norm, out_channels))
        for layer in [self.conv1, self.conv2, self.conv3, self.shortcut]:
            if layer is not None:
                c2_msra_fill(layer)

    def forward(self, x):
        out = F.relu_(self.conv1(x))
        out = F.relu_(self.conv2(out))
        out = self.conv3(out)
        shortcut = self.shortcut(x) if self.shortcut is not None else x
        return F.relu_(out + shortcut)

    def freeze(self):
        for p in self.parameters():
            p.requires_grad = False
        FrozenBatchNorm2d.convert_frozen_batchnorm(self)
        return self


class ResNet(nn.Module):
    def __init__(self, stem, stages, out_features, freeze_at=0):
        super().__init__()
        self.stem = stem
        self.stage_names = []
        self._out_feature_channels = {}
        for i, blocks in enumerate(stages):
            name = "res" + str(i + 2)
            stage = nn.Sequential(*blocks)
            self.add_module(name, stage)
            self.stage_names.append(name)
            self._out_feature_channels[name] = blocks[-1].out_channels
        self._out_features = out_features
        self.freeze(freeze_at)

    def output_channels(self):
        return [self._out_feature_channels[f] for f in self._out_features]

    def forward(self, x):
        outputs = {}
        x = self.stem(x)
        for name in self.stage_names:
            x = getattr(self, name)(x)
            if name in self._out_features:
                outputs[name] = x
        return outputs

    def freeze(self, freeze_at=0):
        if freeze_at >= 1:
            self.stem.freeze()
        for idx, name in enumerate(self.stage_names, start=2):
            if freeze_at >= idx:
                for block in getattr(self, name).children():
                    block.freeze()
        return self


def build_resnet_backbone(cfg):
    rcfg = cfg["MODEL"]["RESNETS"]
    norm = rcfg["NORM"]
    stem = BasicStem(3, rcfg["STEM_OUT_CHANNELS"], norm=norm)
    num_blocks = {50: [3, 4, 6, 3], 101: [3, 4, 23, 3]}[rcfg["DEPTH"]]
    in_channels, out_channels, bottleneck = rcfg["STEM_OUT_CHANNELS"], rcfg["RES2_OUT_CHANNELS"], 64
    stages = []
    for idx, n in enumerate(num_blocks):
        first_stride = 1 if idx == 0 else 2
        blocks = []
        for b in range(n):
            blocks.append(BottleneckBlock(in_channels, out_channels, bottleneck,
                                          stride=first_stride if b == 0 else 1, norm=norm,
                                          stride_in_1x1=rcfg["STRIDE_IN_1X1"]))
            in_channels = out_channels
        stages.append(blocks)
        out_channels *= 2
        bottleneck *= 2
    return ResNet(stem, stages, rcfg["OUT_FEATURES"], freeze_at=cfg["MODEL"]["BACKBONE"]["FREEZE_AT"])
