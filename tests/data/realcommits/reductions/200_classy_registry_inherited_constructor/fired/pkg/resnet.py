import torch.nn as nn

from . import register_model


class _ResNet(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.bn = nn.BatchNorm2d(width)

    @classmethod
    def from_config(cls, config):
        return cls(width=config.get("width", 8))

    def forward(self, x):
        return self.bn(x)


@register_model("resnet18")
class ResNet18(_ResNet):
    @classmethod
    def from_config(cls, config):
        return cls(width=config.get("width", 8))
