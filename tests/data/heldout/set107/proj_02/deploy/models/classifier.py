from collections import OrderedDict

import torch
from torch import nn

from .blocks import BatchNorm, ResBlock, conv3x3

DEFAULT_CFG = {"widths": [32, 64, 128, 256], "num_classes": 3, "embed_dim": 128}


class ShelfClassifier(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256), num_classes=3, embed_dim=128):
        super().__init__()
        stem_w = widths[0]
        self.stem = nn.Sequential(OrderedDict([
            ("conv", conv3x3(3, stem_w, stride=2)),
            ("bn", BatchNorm(stem_w)),
            ("act", nn.ReLU(inplace=True)),
        ]))
        stages, cin = [], stem_w
        for w in widths:
            stages.append(ResBlock(cin, w, stride=2 if w != stem_w else 1))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.embed = nn.Sequential(nn.Linear(cin, embed_dim, bias=False), nn.BatchNorm1d(embed_dim), nn.ReLU(inplace=True))
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.head(self.embed(x))


def build_model(cfg=None):
    cfg = {**DEFAULT_CFG, **(cfg or {})}
    return ShelfClassifier(widths=tuple(cfg["widths"]), num_classes=cfg["num_classes"], embed_dim=cfg["embed_dim"])
