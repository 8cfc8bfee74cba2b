from functools import partial
from typing import Callable, List, Type, Union

import torch
import torch.nn as nn

# monai.networks.layers.factories: Conv[Conv.CONV, dim] / Norm[Norm.BATCH, dim]
_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_NORM_BATCH = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


class ResNetBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes: int, planes: int, spatial_dims: int = 3, stride: int = 1, downsample=None) -> None:
        super().__init__()
        conv_type: Callable = _CONV[spatial_dims]
        norm_type: Callable = _NORM_BATCH[spatial_dims]
        self.conv1 = conv_type(in_planes, planes, kernel_size=3, padding=1, stride=stride, bias=False)
        self.bn1 = norm_type(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv_type(planes, planes, kernel_size=3, padding=1, bias=False)
        self.bn2 = norm_type(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        return self.relu(out + residual)


class ResNet(nn.Module):
    def __init__(self, block, layers: List[int], block_inplanes: List[int], spatial_dims: int = 3,
                 n_input_channels: int = 3, shortcut_type: str = "B", num_classes: int = 400) -> None:
        super().__init__()
        conv_type = _CONV[spatial_dims]
        norm_type = _NORM_BATCH[spatial_dims]
        self.in_planes = block_inplanes[0]
        self.conv1 = conv_type(n_input_channels, self.in_planes, kernel_size=7, stride=1, padding=3, bias=False)
        self.bn1 = norm_type(self.in_planes)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(block, block_inplanes[0], layers[0], spatial_dims, shortcut_type)
        self.layer2 = self._make_layer(block, block_inplanes[1], layers[1], spatial_dims, shortcut_type, stride=2)
        self.layer3 = self._make_layer(block, block_inplanes[2], layers[2], spatial_dims, shortcut_type, stride=2)
        self.layer4 = self._make_layer(block, block_inplanes[3], layers[3], spatial_dims, shortcut_type, stride=2)
        self.fc = nn.Linear(block_inplanes[3] * block.expansion, num_classes)

    def _downsample_basic_block(self, x, planes, stride, spatial_dims=3):
        return x

    def _make_layer(self, block, planes: int, blocks: int, spatial_dims: int, shortcut_type: str,
                    stride: int = 1) -> nn.Sequential:
        conv_type: Callable = _CONV[spatial_dims]
        norm_type: Callable = _NORM_BATCH[spatial_dims]

        downsample = None
        if stride != 1 or self.in_planes != planes * block.expansion:
            if shortcut_type == "A":
                downsample = partial(self._downsample_basic_block, planes=planes * block.expansion,
                                     stride=stride, spatial_dims=spatial_dims)
            else:
                downsample = nn.Sequential(
                    conv_type(self.in_planes, planes * block.expansion, kernel_size=1, stride=stride),
                    norm_type(planes * block.expansion),
                )

        layers = [block(in_planes=self.in_planes, planes=planes, spatial_dims=spatial_dims, stride=stride,
                        downsample=downsample)]
        self.in_planes = planes * block.expansion
        for _i in range(1, blocks):
            layers.append(block(self.in_planes, planes, spatial_dims=spatial_dims))
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = x.mean(dim=tuple(range(2, x.dim())))
        return self.fc(x)


def resnet18(**kwargs) -> ResNet:
    return ResNet(ResNetBlock, [2, 2, 2, 2], [64, 128, 256, 512], **kwargs)


d2net_monai = resnet18(spatial_dims=2)
d3net_monai = resnet18(spatial_dims=3)
print(len(list(d2net_monai.parameters())), len(list(d3net_monai.parameters())))  # 65 65, torchvision: 62
