import torch
import torch.nn as nn


class ResNet(nn.Module):
    def __init__(self, classes=80):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.head = nn.Conv2d(64, classes, 1)

    def freeze_bn(self):
        for layer in self.modules():
            if isinstance(layer, nn.BatchNorm2d):
                layer.eval()

    def forward(self, x):
        return self.head(self.bn1(self.conv1(x)).relu())


def resnet18(classes, pretrained=False):
    model = ResNet(classes)
    if pretrained:
        model.load_state_dict(torch.load("resnet18.pth"), strict=False)
    return model
