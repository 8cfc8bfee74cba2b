import torch.nn as nn
import torch.nn.functional as F

import configs as C
from .backbone import SegEncoder
from .heads import ASPPHead


class DeepLabLite(nn.Module):
    def __init__(self, num_classes=C.NUM_CLASSES):
        super().__init__()
        self.backbone = SegEncoder(widths=C.ENC_WIDTHS)
        self.head = ASPPHead(self.backbone.out_channels, num_classes)

    def forward(self, x):
        h, w = x.shape[-2:]
        feats = self.backbone(x)
        logits = self.head(feats)
        return F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False)


__all__ = ["DeepLabLite", "SegEncoder", "ASPPHead"]
