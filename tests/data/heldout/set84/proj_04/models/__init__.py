import torch.nn as nn

from .backbone import MobileNetV2Backbone
from .heads import EmbeddingClassifier


class MobileNetV2(nn.Module):
    def __init__(self, num_classes, width_mult=1.0, last_channel=1280, dropout=0.2, embed_dim=256):
        super().__init__()
        self.features = MobileNetV2Backbone(width_mult=width_mult, last_channel=last_channel)
        self.classifier = EmbeddingClassifier(self.features.out_channels, embed_dim,
                                              num_classes, dropout=dropout)

    def forward(self, x):
        return self.classifier(self.features(x))


def build_model(cfg):
    m = cfg["model"]
    return MobileNetV2(cfg["data"]["num_classes"], width_mult=m["width_mult"],
                       last_channel=m["last_channel"], dropout=m["dropout"],
                       embed_dim=m["embed_dim"])
