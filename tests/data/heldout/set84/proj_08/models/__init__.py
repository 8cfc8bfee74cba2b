from .backbone import RegNetBackbone
from .heads import ClassifierHead

import torch.nn as nn

import configs as C


class RegNetClassifier(nn.Module):
    def __init__(self, num_classes=C.NUM_CLASSES):
        super().__init__()
        self.backbone = RegNetBackbone()
        self.head = ClassifierHead(self.backbone.out_channels, num_classes, C.HEAD_DROPOUT)

    def forward(self, x):
        return self.head(self.backbone(x))


def build_model(num_classes=C.NUM_CLASSES):
    return RegNetClassifier(num_classes)
