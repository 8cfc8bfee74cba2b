"""ResNet-101 trunk with frozen BatchNorm (statistics *and* affine params)."""
import torch.nn as nn
from torchvision.models import resnet101, ResNet101_Weights


def _bn_modules(module):
    return [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]


class FrozenBNTrunk(nn.Module):
    out_channels = 2048

    def __init__(self, pretrained=True, freeze_stem=True):
        super().__init__()
        net = resnet101(weights=ResNet101_Weights.IMAGENET1K_V2 if pretrained else None)
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4
        for bn in _bn_modules(self):
            bn.weight.requires_grad = False
            bn.bias.requires_grad = False
        if freeze_stem:
            self.stem.requires_grad_(False)
        self._set_bn_eval()

    def _set_bn_eval(self):
        for bn in _bn_modules(self):
            bn.eval()

    def train(self, mode=True):
        super().train(mode)
        self._set_bn_eval()
        return self

    def forward(self, x):
        x = self.stem(x)
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))
