import torch
import torch.nn as nn
import torch.nn.functional as F

from .heads import FCNHead, conv_bn_relu


class ASPPPooling(nn.Sequential):
    def __init__(self, in_channels, out_channels):
        # BatchNorm on a 1x1 pooled map needs more than one sample per GPU;
        # the per-GPU batch in our configs is >= 8.
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode='bilinear', align_corners=False)


class ASPP(nn.Module):
    def __init__(self, in_channels, atrous_rates, out_channels=256):
        super().__init__()
        modules = [conv_bn_relu(in_channels, out_channels, kernel_size=1, padding=0)]
        for rate in atrous_rates:
            modules.append(conv_bn_relu(in_channels, out_channels, 3, padding=rate, dilation=rate))
        modules.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(modules)
        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
        )

    def forward(self, x):
        return self.project(torch.cat([conv(x) for conv in self.convs], dim=1))


class DeepLabV3(nn.Module):
    def __init__(self, backbone, num_classes, aux_loss=True, atrous_rates=(12, 24, 36)):
        super().__init__()
        self.backbone = backbone
        self.aspp = ASPP(2048, atrous_rates)
        self.head = nn.Sequential(conv_bn_relu(256, 256), nn.Conv2d(256, num_classes, 1))
        self.aux_head = FCNHead(1024, num_classes) if aux_loss else None

    def forward(self, x):
        size = x.shape[-2:]
        _, _, c3, c4 = self.backbone(x)
        out = F.interpolate(self.head(self.aspp(c4)), size=size, mode='bilinear',
                            align_corners=False)
        if self.training and self.aux_head is not None:
            aux = F.interpolate(self.aux_head(c3), size=size, mode='bilinear', align_corners=False)
            return out, aux
        return out


class DeepLabV3Plus(nn.Module):
    def __init__(self, backbone, num_classes, aux_loss=True, atrous_rates=(12, 24, 36),
                 low_level_channels=48):
        super().__init__()
        self.backbone = backbone
        self.aspp = ASPP(2048, atrous_rates)
        self.low_level = nn.Sequential(
            nn.Conv2d(256, low_level_channels, 1, bias=False),
            nn.BatchNorm2d(low_level_channels),
            nn.ReLU(inplace=True),
        )
        self.decoder = nn.Sequential(
            conv_bn_relu(256 + low_level_channels, 256),
            conv_bn_relu(256, 256),
            nn.Conv2d(256, num_classes, 1),
        )
        self.aux_head = FCNHead(1024, num_classes) if aux_loss else None

    def forward(self, x):
        size = x.shape[-2:]
        c1, _, c3, c4 = self.backbone(x)
        high = self.aspp(c4)
        high = F.interpolate(high, size=c1.shape[-2:], mode='bilinear', align_corners=False)
        out = self.decoder(torch.cat([high, self.low_level(c1)], dim=1))
        out = F.interpolate(out, size=size, mode='bilinear', align_corners=False)
        if self.training and self.aux_head is not None:
            aux = F.interpolate(self.aux_head(c3), size=size, mode='bilinear', align_corners=False)
            return out, aux
        return out
