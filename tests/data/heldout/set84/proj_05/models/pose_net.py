import torch.nn as nn

import configs as C
from .backbone import ResNetLike
from .heads import DeconvHead, VisibilityHead


class PoseNet(nn.Module):
    def __init__(self, num_joints=C.NUM_JOINTS):
        super().__init__()
        self.backbone = ResNetLike()
        self.head = DeconvHead(self.backbone.out_channels, num_joints)
        self.vis_head = VisibilityHead(self.backbone.out_channels, num_joints)

    def forward(self, x):
        feats = self.backbone(x)
        return self.head(feats), self.vis_head(feats)
