import torch.nn as nn
from torchvision import models

_BACKBONES = {
    "regnet_y_1_6gf": (models.regnet_y_1_6gf, models.RegNet_Y_1_6GF_Weights.IMAGENET1K_V2),
    "resnet50": (models.resnet50, models.ResNet50_Weights.IMAGENET1K_V2),
}


class TransferNet(nn.Module):
    """Pretrained torchvision trunk + a new BN-MLP classification head."""

    def __init__(self, arch, num_classes, hidden=512, pretrained=True):
        super().__init__()
        ctor, weights = _BACKBONES[arch]
        self.backbone = ctor(weights=weights if pretrained else None)
        in_features = self.backbone.fc.in_features
        self.backbone.fc = nn.Identity()
        self.head = nn.Sequential(
            nn.Linear(in_features, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.head(self.backbone(x))


def build_model(cfg, pretrained=True):
    return TransferNet(cfg.arch, cfg.num_classes, pretrained=pretrained)
