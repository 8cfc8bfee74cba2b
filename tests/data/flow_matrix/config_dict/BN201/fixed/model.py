import torch.nn as nn

from config import MODEL_CFG


def build_features(cfg=MODEL_CFG):
    c1, c2, c3 = cfg["channels"]
    return nn.Sequential(
        nn.Conv2d(3, c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1), nn.ReLU(),
        nn.Conv2d(c1, c2, 3, padding=1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(),
        nn.Conv2d(c2, c3, 3, padding=1, bias=False), nn.BatchNorm2d(c3), nn.ReLU(),
    )
