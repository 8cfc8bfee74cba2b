"""Model zoo: ResNet / ResNeXt / EfficientNet-style backbones with pluggable
normalisation.

Every builder takes a ``norm`` name or a ``norm_layer`` callable so the same
architecture can be trained with BatchNorm, TF-ported BatchNorm hyper-parameters,
GroupNorm (small-batch detection) or frozen statistics.
"""
from __future__ import annotations

import math
from functools import partial
from typing import Callable, Dict, List, Optional, Type, Union

import torch
import torch.nn as nn

NormLayer = Callable[[int], nn.Module]

# TensorFlow checkpoints store the *decay* of the moving average (0.99); the
# PyTorch momentum is the weight of the new observation, i.e. 1 - decay.
TF_BN_DECAY = 0.99
TF_BN_EPS = 1e-3


def get_norm_layer(name: str) -> NormLayer:
    table: Dict[str, NormLayer] = {
        "bn": nn.BatchNorm2d,
        "bn_tf": partial(nn.BatchNorm2d, eps=TF_BN_EPS, momentum=1.0 - TF_BN_DECAY),
        "bn_cma": partial(nn.BatchNorm2d, momentum=None),  # cumulative moving average
        "gn": lambda c: nn.GroupNorm(num_groups=32, num_channels=c),
        "none": lambda c: nn.Identity(),
    }
    if name not in table:
        raise KeyError(f"unknown norm {name!r}; choose from {sorted(table)}")
    return table[name]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


def _make_divisible(v: float, divisor: int = 8, min_value: Optional[int] = None) -> int:
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


# ------------------------------------------------------------------ ResNet
class BasicBlock(nn.Module):
    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Optional[NormLayer] = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Optional[NormLayer] = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, block: Type[Union[BasicBlock, Bottleneck]], layers: List[int],
                 num_classes: int = 1000, zero_init_residual: bool = False, groups: int = 1,
                 width_per_group: int = 64, norm_layer: Optional[NormLayer] = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self.num_features = 512 * block.expansion

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and isinstance(m.bn3, nn.BatchNorm2d):
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and isinstance(m.bn2, nn.BatchNorm2d):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, self.groups,
                        self.base_width, self.dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.forward_features(x))
        return self.fc(torch.flatten(x, 1))


# ------------------------------------------------------- EfficientNet-style
class SqueezeExcite(nn.Module):
    """SE block: no normalisation, biases are meaningful here."""

    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, squeeze, 1)
        self.act = nn.SiLU(inplace=True)
        self.expand = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.expand(self.act(self.reduce(self.pool(x))))
        return x * torch.sigmoid(s)


class MBConv(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, expand_ratio: int, stride: int,
                 kernel_size: int = 3, se_ratio: float = 0.25,
                 norm_layer: NormLayer = nn.BatchNorm2d) -> None:
        super().__init__()
        hidden = in_ch * expand_ratio
        self.use_residual = stride == 1 and in_ch == out_ch
        layers: List[nn.Module] = []
        if expand_ratio != 1:
            layers += [nn.Conv2d(in_ch, hidden, 1, bias=False), norm_layer(hidden), nn.SiLU(inplace=True)]
        layers += [
            nn.Conv2d(hidden, hidden, kernel_size, stride, kernel_size // 2, groups=hidden, bias=False),
            norm_layer(hidden),
            nn.SiLU(inplace=True),
            SqueezeExcite(hidden, max(1, int(in_ch * se_ratio))),
            nn.Conv2d(hidden, out_ch, 1, bias=False),
            norm_layer(out_ch),
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return out + x if self.use_residual else out


class EfficientNetLite(nn.Module):
    # (expand_ratio, channels, repeats, stride, kernel)
    STAGES = [
        (1, 16, 1, 1, 3),
        (6, 24, 2, 2, 3),
        (6, 40, 2, 2, 5),
        (6, 80, 3, 2, 3),
        (6, 112, 3, 1, 5),
        (6, 192, 4, 2, 5),
        (6, 320, 1, 1, 3),
    ]

    def __init__(self, width_mult: float = 1.0, num_classes: int = 1000, dropout: float = 0.2,
                 norm_layer: Optional[NormLayer] = None) -> None:
        super().__init__()
        norm_layer = norm_layer or get_norm_layer("bn_tf")
        stem_ch = _make_divisible(32 * width_mult)
        features: List[nn.Module] = [
            nn.Conv2d(3, stem_ch, 3, 2, 1, bias=False),
            norm_layer(stem_ch),
            nn.SiLU(inplace=True),
        ]
        in_ch = stem_ch
        for expand, ch, repeats, stride, k in self.STAGES:
            out_ch = _make_divisible(ch * width_mult)
            for i in range(repeats):
                features.append(MBConv(in_ch, out_ch, expand, stride if i == 0 else 1, k,
                                       norm_layer=norm_layer))
                in_ch = out_ch
        head_ch = 1280
        features += [nn.Conv2d(in_ch, head_ch, 1, bias=False), norm_layer(head_ch), nn.SiLU(inplace=True)]
        self.features = nn.Sequential(*features)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(head_ch, num_classes))
        self.num_features = head_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


# -------------------------------------------------------------- registry
_MODELS: Dict[str, Callable[..., nn.Module]] = {}


def register(name: str):
    def deco(fn):
        _MODELS[name] = fn
        return fn
    return deco


def _resolve_norm(norm: Union[str, NormLayer, None]) -> Optional[NormLayer]:
    if norm is None or callable(norm):
        return norm
    return get_norm_layer(norm)


@register("resnet18")
def resnet18(norm: Union[str, NormLayer, None] = "bn", **kw) -> ResNet:
    return ResNet(BasicBlock, [2, 2, 2, 2], norm_layer=_resolve_norm(norm), **kw)


@register("resnet50")
def resnet50(norm: Union[str, NormLayer, None] = "bn", **kw) -> ResNet:
    return ResNet(Bottleneck, [3, 4, 6, 3], norm_layer=_resolve_norm(norm), **kw)


@register("resnext50_32x4d")
def resnext50_32x4d(norm: Union[str, NormLayer, None] = "bn", **kw) -> ResNet:
    return ResNet(Bottleneck, [3, 4, 6, 3], groups=32, width_per_group=4,
                  norm_layer=_resolve_norm(norm), **kw)


@register("efficientnet_lite0")
def efficientnet_lite0(norm: Union[str, NormLayer, None] = "bn_tf", **kw) -> EfficientNetLite:
    return EfficientNetLite(1.0, norm_layer=_resolve_norm(norm), **kw)


def build_model(name: str, **kwargs) -> nn.Module:
    try:
        return _MODELS[name](**kwargs)
    except KeyError:
        raise KeyError(f"unknown model {name!r}; available: {sorted(_MODELS)}") from None


def list_models() -> List[str]:
    return sorted(_MODELS)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _smoke_test() -> None:
    """Build every registered model and check its output shape on CPU."""
    x = torch.randn(2, 3, 224, 224)
    for name in list_models():
        model = build_model(name, num_classes=10).eval()
        with torch.no_grad():
            out = model(x)
        assert out.shape == (2, 10), (name, out.shape)
        print(f"{name:22s} {count_parameters(model) / 1e6:6.2f}M params  ok")


if __name__ == "__main__":
    _smoke_test()
