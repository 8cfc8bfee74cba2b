"""Rede principal: três estágios conv-BN-ReLU com blocos residuais."""
from __future__ import annotations

import torch
from torch import nn

from ..config import CANAIS, N_CLASSES
from .blocos import BlocoResidual, conv3x3, conv_bn_relu


class RedePeixes(nn.Module):
    def __init__(self, canais: tuple[int, int, int] = CANAIS, n_classes: int = N_CLASSES) -> None:
        super().__init__()
        c1, c2, c3 = canais
        self.tronco = conv_bn_relu(3, c1, passo=2)
        self.estagio1 = nn.Sequential(BlocoResidual(c1), conv_bn_relu(c1, c2, passo=2))
        self.estagio2 = nn.Sequential(BlocoResidual(c2), conv_bn_relu(c2, c3, passo=2))
        # estágio extra adicionado na v0.2 (mais largo)
        self.estagio3 = nn.Sequential(
            conv3x3(128, 256, passo=2),
            nn.BatchNorm2d(128),  # expect: BN201
            nn.ReLU(inplace=True),
        )
        self.classificador = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(256, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.estagio2(self.estagio1(self.tronco(x)))
        return self.classificador(self.estagio3(x))
