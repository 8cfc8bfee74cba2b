import torch.nn as nn
from torchvision import models


class Finetune(nn.Module):
    def __init__(self, args):
        super().__init__()
        layers = list(models.resnet50(weights="IMAGENET1K_V2").children())[:-1]
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Linear(2048, args.num_classes)
        if args.freeze_backbone:
            for m in self.backbone.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()

    def forward(self, x):
        return self.head(self.backbone(x).flatten(1))
