import torch
import torch.nn as nn


class Head(nn.Module):
    def __init__(self, backbone, classes):
        super().__init__()
        self.backbone = backbone
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
        with torch.no_grad():
            width = self.stem(torch.zeros(2, 3, 32, 32)).shape[1]
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        return self.fc(self.pool(self.backbone(self.stem(x))).flatten(1))


model = Head(nn.Identity(), 10)
