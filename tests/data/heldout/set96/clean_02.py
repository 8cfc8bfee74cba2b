"""Configurable conv blocks for a VGG-like network; bias only where it is not cancelled."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_block(in_ch, out_ch, use_bn=True):
    layers = [nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=not use_bn)]
    if use_bn:
        layers.append(nn.BatchNorm2d(out_ch))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class PreActHead(nn.Module):
    """Linear with bias, activation, then BN: the bias is not cancelled here."""

    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.act = nn.ReLU()
        self.bn = nn.BatchNorm1d(hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.fc2(self.bn(self.act(self.fc1(x))))


class VGGish(nn.Module):
    def __init__(self, cfg=(64, 64, "M", 128, 128, "M", 256, 256, "M"), num_classes=10):
        super().__init__()
        layers, in_ch = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers.append(conv_block(in_ch, v))
                in_ch = v
        self.features = nn.Sequential(*layers)
        # whitening layer: BN without affine after a biased 1x1 conv
        self.proj = nn.Conv2d(in_ch, 128, kernel_size=1)
        self.whiten = nn.BatchNorm2d(128, affine=False)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = PreActHead(128, 256, num_classes)

    def forward(self, x):
        x = self.whiten(self.proj(self.features(x)))
        return self.head(torch.flatten(self.pool(x), 1))


class NoBNBaseline(nn.Module):
    """Same layout without normalisation, used for the ablation table."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            conv_block(3, 64, use_bn=False),
            nn.MaxPool2d(2),
            conv_block(64, 128, use_bn=False),
            nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


def train_step(model, x, y, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
