"""Temporal-convolution ResNet (TC-ResNet) family for keyword spotting.

Inputs are log-mel spectrograms shaped (batch, n_mels, frames): the mel bins are
treated as channels and the convolutions run over time only, which keeps the
models small enough for always-on DSP targets.
"""
from __future__ import annotations

from typing import Callable, Dict, Sequence, Type

import torch
import torch.nn as nn
import torch.nn.functional as F

MODEL_REGISTRY: Dict[str, Callable[..., nn.Module]] = {}


def register_model(name: str):
    def wrap(fn):
        if name in MODEL_REGISTRY:
            raise KeyError(f"duplicate model name {name!r}")
        MODEL_REGISTRY[name] = fn
        return fn
    return wrap


def conv_bn1d(in_ch: int, out_ch: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm1d(out_ch),
    )


class TCResidualBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, kernel: int = 9):
        super().__init__()
        self.conv1 = nn.Conv1d(in_ch, out_ch, kernel, stride=stride,
                               padding=kernel // 2, bias=False)
        self.bn1 = nn.BatchNorm1d(out_ch)
        self.conv2 = nn.Conv1d(out_ch, out_ch, kernel, padding=kernel // 2, bias=False)
        self.bn2 = nn.BatchNorm1d(out_ch)
        if stride != 1 or in_ch != out_ch:
            self.shortcut = conv_bn1d(in_ch, out_ch, 1, stride)
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class TCResNet(nn.Module):
    STEM_WIDTH = 16

    def __init__(self, n_mels: int = 40, num_classes: int = 12,
                 widths: Sequence[int] = (24, 32, 48), dropout: float = 0.0):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(n_mels, self.STEM_WIDTH, 3, padding=1, bias=False),
            nn.BatchNorm1d(self.STEM_WIDTH),
            nn.ReLU(inplace=True),
        )
        blocks = []
        prev = self.STEM_WIDTH
        for w in widths:
            blocks.append(TCResidualBlock(prev, w, stride=2))
            prev = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = self.blocks(x)
        x = self.pool(x).flatten(1)
        return self.fc(self.dropout(x))


class TCResNetWithEmbedding(TCResNet):
    """Adds a normalised embedding head used for few-shot keyword enrolment."""

    EMBED_DIM = 128

    def __init__(self, n_mels: int = 40, num_classes: int = 12,
                 widths: Sequence[int] = (24, 32, 48), dropout: float = 0.0):
        super().__init__(n_mels, num_classes, widths, dropout)
        last = widths[-1]
        self.embed = nn.Sequential(
            nn.Linear(last, self.EMBED_DIM, bias=False),
            nn.BatchNorm1d(self.EMBED_DIM),
        )
        self.fc = nn.Linear(self.EMBED_DIM, num_classes)

    def embedding(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x))
        x = self.pool(x).flatten(1)
        return F.normalize(self.embed(x), dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x))
        x = self.pool(x).flatten(1)
        return self.fc(self.dropout(self.embed(x)))


class DSCNN(nn.Module):
    """Depthwise-separable CNN baseline (Hello Edge), 1D variant."""

    def __init__(self, n_mels: int = 40, num_classes: int = 12, channels: int = 64,
                 num_layers: int = 4, dropout: float = 0.0):
        super().__init__()
        self.front = nn.Sequential(
            nn.Conv1d(n_mels, channels, 10, stride=2, padding=4, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(inplace=True),
        )
        layers = []
        for _ in range(num_layers):
            layers += [
                nn.Conv1d(channels, channels, 3, padding=1, groups=channels, bias=False),
                nn.BatchNorm1d(channels),
                nn.ReLU(inplace=True),
                nn.Conv1d(channels, channels * 2, 1, bias=False),
                nn.BatchNorm1d(channels),  # expect: BN201
                nn.ReLU(inplace=True),
                nn.Conv1d(channels * 2, channels, 1, bias=False),
                nn.BatchNorm1d(channels),
                nn.ReLU(inplace=True),
            ]
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten(),
                                  nn.Dropout(dropout), nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self.front(x)))


@register_model("tc_resnet8")
def tc_resnet8(**kwargs) -> nn.Module:
    return TCResNet(widths=(24, 32, 48), **kwargs)


@register_model("tc_resnet14")
def tc_resnet14(**kwargs) -> nn.Module:
    return TCResNet(widths=(24, 24, 32, 32, 48, 48), **kwargs)


@register_model("tc_resnet14_embed")
def tc_resnet14_embed(**kwargs) -> nn.Module:
    return TCResNetWithEmbedding(widths=(24, 24, 32, 32, 48, 48), **kwargs)


@register_model("ds_cnn")
def ds_cnn(**kwargs) -> nn.Module:
    return DSCNN(**kwargs)


def build_model(model_cfg: dict) -> nn.Module:
    arch = model_cfg["arch"]
    if arch not in MODEL_REGISTRY:
        raise KeyError(f"unknown arch {arch!r}; known: {sorted(MODEL_REGISTRY)}")
    return MODEL_REGISTRY[arch](**model_cfg.get("kwargs", {}))
