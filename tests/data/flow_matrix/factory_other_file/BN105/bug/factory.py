import torch.nn as nn
import torchvision


def create_backbone(pretrained=True):
    backbone = torchvision.models.resnet50(weights="IMAGENET1K_V2" if pretrained else None)
    backbone.fc = nn.Identity()
    for param in backbone.parameters():
        param.requires_grad = False
    return backbone
