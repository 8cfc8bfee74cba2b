"""Torchvision ResNet wrapped as a detection backbone.

``freeze_at`` follows detectron2: 0 = nothing frozen, 1 = stem, 2 = stem + res2,
... Frozen parts have their parameters frozen *and* their BatchNorm layers
kept in eval mode across ``.train()`` calls. With ``norm_eval=True`` every BN
in the backbone uses its ImageNet running statistics.
"""
from collections import OrderedDict

import torch
import torch.nn as nn
import torchvision
from torch.nn.modules.batchnorm import _BatchNorm


class ResNetBackbone(nn.Module):
    _stage_names = ("stem", "res2", "res3", "res4", "res5")
    _out_channels = {"stem": 64, "res2": 256, "res3": 512, "res4": 1024, "res5": 2048}
    _strides = {"stem": 4, "res2": 4, "res3": 8, "res4": 16, "res5": 32}

    def __init__(self, depth=50, out_features=("res2", "res3", "res4", "res5"), freeze_at=2, norm_eval=True,
                 pretrained=True):
        super().__init__()
        builder = {50: torchvision.models.resnet50, 101: torchvision.models.resnet101}[depth]
        weights = "IMAGENET1K_V1" if pretrained else None
        net = builder(weights=weights)
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.res2 = net.layer1
        self.res3 = net.layer2
        self.res4 = net.layer3
        self.res5 = net.layer4
        self.out_features = tuple(out_features)
        self.freeze_at = freeze_at
        self.norm_eval = norm_eval
        self._freeze()

    @property
    def out_channels(self):
        return [self._out_channels[n] for n in self.out_features]

    @property
    def strides(self):
        return [self._strides[n] for n in self.out_features]

    def _frozen_modules(self):
        return [getattr(self, name) for name in self._stage_names[: self.freeze_at]]

    def _freeze(self):
        for module in self._frozen_modules():
            module.eval()
            for p in module.parameters():
                p.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        # re-apply after nn.Module.train() flipped every child back to training
        self._freeze()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x):
        outputs = OrderedDict()
        for name in self._stage_names:
            x = getattr(self, name)(x)
            if name in self.out_features:
                outputs[name] = x
        return outputs


class SimpleFPN(nn.Module):
    """Plain FPN without normalisation (biases kept on the convs)."""

    def __init__(self, in_channels_list, out_channels=256):
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels_list)
        self.output = nn.ModuleList(nn.Conv2d(out_channels, out_channels, 3, padding=1) for _ in in_channels_list)
        self.p6 = nn.Conv2d(out_channels, out_channels, 3, stride=2, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.constant_(m.bias, 0)

    def forward(self, feats):
        feats = list(feats.values())
        last = self.lateral[-1](feats[-1])
        results = [self.output[-1](last)]
        for f, lat, out in zip(feats[-2::-1], list(self.lateral)[-2::-1], list(self.output)[-2::-1]):
            top_down = nn.functional.interpolate(last, size=f.shape[-2:], mode="nearest")
            last = lat(f) + top_down
            results.insert(0, out(last))
        results.append(self.p6(results[-1]))
        return results


class BackboneWithFPN(nn.Module):
    def __init__(self, depth=50, freeze_at=2, norm_eval=True, out_channels=256):
        super().__init__()
        self.body = ResNetBackbone(depth, freeze_at=freeze_at, norm_eval=norm_eval)
        self.fpn = SimpleFPN(self.body.out_channels, out_channels)
        self.out_channels = out_channels

    def forward(self, x):
        return self.fpn(self.body(x))


def build_resnet_fpn_backbone(cfg):
    return BackboneWithFPN(
        depth=cfg.get("DEPTH", 50),
        freeze_at=cfg.get("FREEZE_AT", 2),
        norm_eval=cfg.get("NORM_EVAL", True),
        out_channels=cfg.get("OUT_CHANNELS", 256),
    )


if __name__ == "__main__":
    backbone = build_resnet_fpn_backbone({"DEPTH": 50, "FREEZE_AT": 2})
    backbone.train()
    n_bn_train = sum(1 for m in backbone.modules() if isinstance(m, _BatchNorm) and m.training)
    n_frozen = sum(p.numel() for p in backbone.parameters() if not p.requires_grad)
    print(f"BN layers in training mode: {n_bn_train}, frozen params: {n_frozen / 1e6:.2f}M")
    backbone.eval()
    with torch.no_grad():
        feats = backbone(torch.rand(1, 3, 512, 512))
    print([f.shape for f in feats])
