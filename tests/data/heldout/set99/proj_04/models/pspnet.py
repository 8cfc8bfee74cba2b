import torch
import torch.nn as nn
import torch.nn.functional as F

from .heads import FCNHead, conv_bn_relu


class PPM(nn.Module):
    def __init__(self, in_channels, channels, bins=(1, 2, 3, 6)):
        super().__init__()
        self.stages = nn.ModuleList([
            nn.Sequential(
                nn.AdaptiveAvgPool2d(b),
                nn.Conv2d(in_channels, channels, kernel_size=1, bias=False),
                nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True),
            ) for b in bins
        ])

    def forward(self, x):
        size = x.shape[-2:]
        outs = [x]
        for stage in self.stages:
            outs.append(F.interpolate(stage(x), size=size, mode='bilinear', align_corners=False))
        return torch.cat(outs, dim=1)


class PSPNet(nn.Module):
    def __init__(self, backbone, num_classes, aux_loss=True, bins=(1, 2, 3, 6)):
        super().__init__()
        self.backbone = backbone
        self.ppm = PPM(2048, 512, bins)
        self.bottleneck = conv_bn_relu(2048 + 512 * len(bins), 512)
        self.cls = nn.Sequential(nn.Dropout2d(0.1), nn.Conv2d(512, num_classes, 1))
        self.aux_head = FCNHead(1024, num_classes) if aux_loss else None

    def forward(self, x):
        size = x.shape[-2:]
        _, _, c3, c4 = self.backbone(x)
        out = self.cls(self.bottleneck(self.ppm(c4)))
        out = F.interpolate(out, size=size, mode='bilinear', align_corners=False)
        if self.training and self.aux_head is not None:
            aux = F.interpolate(self.aux_head(c3), size=size, mode='bilinear', align_corners=False)
            return out, aux
        return out
