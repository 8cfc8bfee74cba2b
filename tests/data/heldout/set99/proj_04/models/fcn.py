import torch.nn as nn
import torch.nn.functional as F

from .heads import FCNHead, conv_bn_relu


class FCN(nn.Module):
    def __init__(self, backbone, num_classes, channels=512, aux_loss=True):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Sequential(
            conv_bn_relu(2048, channels),
            conv_bn_relu(channels, channels),
            nn.Dropout2d(0.1),
            nn.Conv2d(channels, num_classes, 1),
        )
        self.aux_head = FCNHead(1024, num_classes) if aux_loss else None

    def forward(self, x):
        size = x.shape[-2:]
        _, _, c3, c4 = self.backbone(x)
        out = F.interpolate(self.head(c4), size=size, mode='bilinear', align_corners=False)
        if self.training and self.aux_head is not None:
            aux = F.interpolate(self.aux_head(c3), size=size, mode='bilinear', align_corners=False)
            return out, aux
        return out
