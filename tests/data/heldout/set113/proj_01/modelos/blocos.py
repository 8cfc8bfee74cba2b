"""Blocos básicos reutilizáveis (conv + BN + ativação)."""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["conv3x3", "conv_bn_relu", "BlocoResidual"]


def conv3x3(c_in: int, c_out: int, passo: int = 1) -> nn.Conv2d:
    # sem viés: sempre seguida de BatchNorm
    return nn.Conv2d(c_in, c_out, kernel_size=3, stride=passo, padding=1, bias=False)


def conv_bn_relu(c_in: int, c_out: int, passo: int = 1) -> nn.Sequential:
    return nn.Sequential(conv3x3(c_in, c_out, passo), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class BlocoResidual(nn.Module):
    def __init__(self, canais: int) -> None:
        super().__init__()
        self.c1 = conv3x3(canais, canais); self.n1 = nn.BatchNorm2d(canais)
        self.c2 = conv3x3(canais, canais); self.n2 = nn.BatchNorm2d(canais)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.n1(self.c1(x)))
        return torch.relu(x + self.n2(self.c2(y)))
