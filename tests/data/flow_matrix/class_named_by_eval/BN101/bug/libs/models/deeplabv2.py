import torch.nn as nn

__all__ = ["DeepLabV2"]


class DeepLabV2(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 64, 3, bias=False), nn.BatchNorm2d(64), nn.Conv2d(64, n_classes, 1))

    def forward(self, x):
        return self.body(x)
