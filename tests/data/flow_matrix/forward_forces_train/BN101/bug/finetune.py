import torch
import torch.nn as nn
from torchvision import models


class Finetune(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.args = args
        layers = list(models.resnet50(weights="IMAGENET1K_V2").children())[:-1]
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Linear(2048, args.num_classes)

    def forward(self, x):
        if self.args.freeze_backbone:
            self.backbone.eval()
            with torch.no_grad():
                features = self.backbone(x).flatten(1)
        else:
            self.backbone.train()
            features = self.backbone(x).flatten(1)
        return self.head(features)
