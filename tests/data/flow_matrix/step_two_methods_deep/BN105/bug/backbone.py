import torch.nn as nn
from torchvision.models import resnet18


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = resnet18()

    def forward(self, x):
        return self.layers(x)

    def freeze_weights(self):
        for p in self.parameters():
            p.requires_grad = False
