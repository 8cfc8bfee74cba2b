"""Small helpers for the 3D proxy experiments."""
import random

import numpy as np
import torch
import torch.nn as nn


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def conv_bn(in_ch, out_ch, kernel_size=3, stride=1):
    """Conv3d -> BatchNorm3d -> ReLU."""
    return nn.Sequential(
        nn.Conv3d(in_ch, out_ch, kernel_size, stride=stride, padding=kernel_size // 2, bias=False),
        nn.BatchNorm3d(out_ch),
        nn.ReLU(inplace=True),
    )


def build_optimizer(model, lr, weight_decay):
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)


def dice_per_class(pred, target, num_classes):
    """Volume-level dice on class indicators (used for the debug report only)."""
    scores = []
    for c in range(num_classes):
        p = pred == c
        t = target == c
        inter = (p & t).sum().item()
        denom = p.sum().item() + t.sum().item()
        scores.append(2 * inter / denom if denom else 1.0)
    return scores


class EarlyStopping:
    def __init__(self, patience=8):
        self.patience = patience
        self.best = -float("inf")
        self.bad = 0

    def step(self, value):
        if value > self.best:
            self.best, self.bad = value, 0
            return False
        self.bad += 1
        return self.bad > self.patience
