"""ResNet backbones returning pooled features (no classifier)."""
import torch
import torch.nn as nn
import torchvision

from . import BACKBONES


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, norm_layer=nn.BatchNorm2d):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = norm_layer(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = norm_layer(planes)
        self.shortcut = nn.Identity()
        if stride != 1 or inplanes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                norm_layer(planes),
            )

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    """ResNet for 32x32 inputs: 3x3 stem, no max-pool."""

    def __init__(self, layers=(2, 2, 2, 2), width=64, zero_init_residual=False, norm_layer=nn.BatchNorm2d):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 3, 1, 1, bias=False),
            norm_layer(width),
            nn.ReLU(inplace=True),
        )
        self.inplanes = width
        stages = []
        for i, n in enumerate(layers):
            planes = width * 2 ** i
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(self.inplanes, planes, 2 if (j == 0 and i > 0) else 1, norm_layer))
                self.inplanes = planes
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_dim = self.inplanes
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def forward(self, x):
        return torch.flatten(self.pool(self.stages(self.stem(x))), 1)


class TorchvisionResNet(nn.Module):
    def __init__(self, arch="resnet50", zero_init_residual=True):
        super().__init__()
        net = getattr(torchvision.models, arch)(weights=None, zero_init_residual=zero_init_residual)
        self.out_dim = net.fc.in_features
        net.fc = nn.Identity()
        self.net = net

    def forward(self, x):
        return self.net(x)


@BACKBONES.register("resnet18_cifar")
def resnet18_cifar(zero_init_residual=False):
    return CifarResNet((2, 2, 2, 2), zero_init_residual=zero_init_residual)


@BACKBONES.register("resnet34_cifar")
def resnet34_cifar(zero_init_residual=False):
    return CifarResNet((3, 4, 6, 3), zero_init_residual=zero_init_residual)


@BACKBONES.register("resnet50")
def resnet50(zero_init_residual=True):
    return TorchvisionResNet("resnet50", zero_init_residual)
