"""CIFAR-style ResNet backbone (3x3 stem, no max-pool)."""
import torch
import torch.nn as nn

import configs as C
from .blocks import BasicBlock, conv1x1


class ResNetLike(nn.Module):
    def __init__(self, block=BasicBlock, layers=C.BLOCKS_PER_STAGE, widths=C.STAGE_WIDTHS,
                 zero_init_residual=True):
        super().__init__()
        self.inplanes = C.STEM_CHANNELS

        self.conv1 = nn.Conv2d(3, C.STEM_CHANNELS, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)  # expect: BN201
        self.relu = nn.ReLU(inplace=True)

        stages = []
        for i, (planes, n) in enumerate(zip(widths, layers)):
            stride = 1 if i == 0 else 2
            stages.append(self._make_layer(block, planes, n, stride=stride))
        self.layer1, self.layer2, self.layer3 = stages
        self.out_channels = widths[-1] * block.expansion

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )

        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)

        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        return x


if __name__ == "__main__":
    net = ResNetLike()
    print(sum(p.numel() for p in net.parameters()) / 1e6, "M params")
    print(net(torch.randn(2, 3, 32, 32)).shape)
