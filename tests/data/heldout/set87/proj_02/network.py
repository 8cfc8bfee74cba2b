import torch
import torch.nn as nn
from torchvision.models import resnet18, ResNet18_Weights

from settings import NORM, NUM_CLASSES


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


class ConvNormAct(nn.Sequential):
    def __init__(self, cin, cout, stride=1, norm_layer=nn.BatchNorm2d):
        super().__init__(conv3x3(cin, cout, stride), norm_layer(cout), nn.ReLU(inplace=True))


class ContextBlock(nn.Module):
    """Two dilated 3x3 convs on top of layer4 output, with a residual."""

    def __init__(self, channels=512, norm_layer=NORM):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels // 2, 3, padding=2, dilation=2, bias=False)
        self.bn1 = norm_layer(channels // 2)
        self.conv2 = nn.Conv2d(channels // 2, channels, 3, padding=4, dilation=4, bias=False)
        self.bn2 = norm_layer(channels)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act(out + x)


class ShipNet(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES, pretrained=True):
        super().__init__()
        trunk = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1 if pretrained else None)
        self.stem = nn.Sequential(trunk.conv1, trunk.bn1, trunk.relu, trunk.maxpool)
        self.body = nn.Sequential(trunk.layer1, trunk.layer2, trunk.layer3, trunk.layer4)
        self.context = ContextBlock(512)
        self.reduce = ConvNormAct(512, 256, norm_layer=NORM)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.body(self.stem(x))
        x = self.reduce(self.context(x))
        return self.fc(torch.flatten(self.pool(x), 1))
