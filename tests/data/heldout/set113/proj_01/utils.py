"""Funções auxiliares: métricas, avaliação, checkpoints."""
from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

log = logging.getLogger("peixes")


class MedidorMedia:
    def __init__(self) -> None:
        self.soma = 0.0; self.n = 0

    def atualizar(self, valor: float, k: int = 1) -> None:
        self.soma += valor * k; self.n += k

    @property
    def media(self) -> float:
        return self.soma / max(self.n, 1)


def avaliar(modelo: nn.Module, loader: DataLoader, disp: torch.device) -> float:
    """Acurácia no conjunto de validação."""
    modelo.eval()
    acertos = total = 0
    with torch.no_grad():
        for x, y in loader:
            acertos += (modelo(x.to(disp)).argmax(1).cpu() == y).sum().item()
            total += y.numel()
    return acertos / max(total, 1)


def salvar(modelo: nn.Module, caminho: Path, **extra) -> None:
    caminho.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"modelo": modelo.state_dict(), **extra}, caminho)
    log.info("salvo em %s", caminho)
