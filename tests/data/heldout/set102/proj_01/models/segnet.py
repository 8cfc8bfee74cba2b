import torch.nn as nn
import torch.nn.functional as F

from .backbone import Backbone
from .blocks import ConvBNReLU


class SegNet(nn.Module):
    def __init__(self, num_classes, head_channels=128):
        super().__init__()
        self.backbone = Backbone()
        self.head = nn.Sequential(
            ConvBNReLU(self.backbone.out_channels, head_channels),
            nn.Dropout2d(0.1),
            nn.Conv2d(head_channels, num_classes, kernel_size=1),
        )

    def forward(self, x):
        size = x.shape[-2:]
        logits = self.head(self.backbone(x))
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)


def build_model(num_classes, backbone_ckpt=None):
    model = SegNet(num_classes)
    if backbone_ckpt is not None:
        model.backbone.load_pretrained(backbone_ckpt)
    return model
