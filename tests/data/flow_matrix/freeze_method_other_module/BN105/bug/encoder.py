import torch.nn as nn
import torchvision


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        resnet = torchvision.models.resnet50(weights="IMAGENET1K_V2")
        self.body = nn.Sequential(*list(resnet.children())[:-2])
        self.pool = nn.AdaptiveAvgPool2d(1)

    def fine_tune(self, enabled=True):
        for p in self.body.parameters():
            p.requires_grad = enabled

    def forward(self, images):
        return self.pool(self.body(images)).flatten(1)
