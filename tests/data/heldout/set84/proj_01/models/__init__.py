from .backbone import ResNetLike
from .heads import ClassifierHead, ProjectionHead

import torch.nn as nn

import configs as C


class Classifier(nn.Module):
    """Backbone + linear classifier + (optional) projection head for SupCon."""

    def __init__(self, num_classes=C.NUM_CLASSES, with_projection=True):
        super().__init__()
        self.backbone = ResNetLike()
        feat_dim = self.backbone.out_channels
        self.head = ClassifierHead(feat_dim, num_classes, dropout=C.DROPOUT)
        self.proj = ProjectionHead(feat_dim, C.PROJ_DIM) if with_projection else None

    def forward(self, x, return_proj=False):
        feats = self.backbone(x)
        logits = self.head(feats)
        if return_proj and self.proj is not None:
            return logits, self.proj(feats)
        return logits


def build_model(name="resnet_cifar", **kwargs):
    if name == "resnet_cifar":
        return Classifier(**kwargs)
    raise ValueError(f"unknown model {name}")


__all__ = ["ResNetLike", "ClassifierHead", "ProjectionHead", "Classifier", "build_model"]
