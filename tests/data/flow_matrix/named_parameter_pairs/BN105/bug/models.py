import torchvision
from torch import nn


class IDEModel(nn.Module):
    def __init__(self, num_classes=751):
        super().__init__()
        self.base = nn.Sequential(*list(torchvision.models.resnet50(weights="DEFAULT").children())[:-2])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(2048, num_classes)

    def forward(self, x):
        return self.classifier(self.pool(self.base(x)).flatten(1))
