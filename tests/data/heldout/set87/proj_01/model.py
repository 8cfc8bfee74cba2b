import torch
import torch.nn as nn
from torchvision import models


class Neck(nn.Module):
    """1x1 reduction + BN + ReLU, then generalized-mean pooling."""

    def __init__(self, in_ch=2048, out_ch=512, p=3.0):
        super().__init__()
        self.reduce = nn.Conv2d(in_ch, out_ch, kernel_size=1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch, 0.1)  # expect: BN206
        self.act = nn.ReLU(inplace=True)
        self.p = nn.Parameter(torch.tensor(p))

    def forward(self, x):
        x = self.act(self.bn(self.reduce(x)))
        x = x.clamp(min=1e-6).pow(self.p).mean(dim=(2, 3)).pow(1.0 / self.p)
        return x


class FineGrainedNet(nn.Module):
    def __init__(self, arch="resnet50", num_classes=200, neck_channels=512, pretrained=True, dropout=0.2):
        super().__init__()
        weights = "IMAGENET1K_V2" if pretrained else None
        trunk = getattr(models, arch)(weights=weights)
        in_ch = trunk.fc.in_features
        self.backbone = nn.Sequential(*list(trunk.children())[:-2])
        self.neck = Neck(in_ch, neck_channels)
        self.drop = nn.Dropout(dropout)
        self.classifier = nn.Linear(neck_channels, num_classes)

    def param_groups(self, base_lr, backbone_mult):
        return [
            {"params": self.backbone.parameters(), "lr": base_lr * backbone_mult},
            {"params": list(self.neck.parameters()) + list(self.classifier.parameters()), "lr": base_lr},
        ]

    def forward(self, x):
        return self.classifier(self.drop(self.neck(self.backbone(x))))
