"""Classificação de vídeos curtos (clipes 16x112x112) + trilha de áudio.

Ramo de vídeo: Conv3d -> BatchNorm3d.  Ramo de áudio: Conv1d -> BatchNorm1d.
Fusão: concatenação dos dois ramos -> BatchNorm1d(soma das larguras).
Construção com closures aninhadas (estilo "fábrica de fábricas").
"""
from __future__ import annotations

import argparse
import logging
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

log = logging.getLogger("clipes")
LARG_VIDEO, LARG_AUDIO = 256, 128


def construir(n_classes: int = 20) -> nn.Module:
    def fabrica_ramo(conv: type[nn.Module], norm: type[nn.Module], pool: Callable[[], nn.Module]):
        def estagio(ci: int, co: int) -> list[nn.Module]:
            def normalizar(c: int) -> nn.Module:
                return norm(c, momentum=None)   # média cumulativa (sem momentum exponencial)
            return [conv(ci, co, 3, padding=1, bias=False), normalizar(co), nn.ReLU(inplace=True), pool()]
        def ramo(larguras: list[int]) -> nn.Sequential:
            return nn.Sequential(*[m for ci, co in zip(larguras[:-1], larguras[1:]) for m in estagio(ci, co)])
        return ramo

    ramo_video = fabrica_ramo(nn.Conv3d, nn.BatchNorm3d, lambda: nn.MaxPool3d(2))
    ramo_audio = fabrica_ramo(nn.Conv1d, nn.BatchNorm1d, lambda: nn.MaxPool1d(2))

    class Fusao(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.video = ramo_video([3, 32, 64, 128, LARG_VIDEO])
            self.audio = ramo_audio([1, 32, 64, LARG_AUDIO])
            self.bn_fusao = nn.BatchNorm1d(LARG_VIDEO + LARG_AUDIO)
            self.drop = nn.Dropout(0.3)
            self.fc = nn.Linear(LARG_VIDEO + LARG_AUDIO, n_classes)

        def forward(self, clipe: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
            v = F.adaptive_avg_pool3d(self.video(clipe), 1).flatten(1)   # (N, 256)
            a = F.adaptive_avg_pool1d(self.audio(audio), 1).flatten(1)   # (N, 128)
            return self.fc(self.drop(F.relu(self.bn_fusao(torch.cat([v, a], dim=1)))))

    return Fusao()


class Clipes(Dataset):
    def __init__(self, indice: str) -> None:
        self.itens = torch.load(indice)   # lista de dicts {"clipe": (3,16,112,112), "audio": (1,16000), "rotulo": int}

    def __len__(self) -> int:
        return len(self.itens)

    def __getitem__(self, i: int):
        it = self.itens[i]
        return it["clipe"], it["audio"], it["rotulo"]


def rodar_epoca(modelo: nn.Module, loader: DataLoader, otim: torch.optim.Optimizer | None, dev: str) -> tuple[float, float]:
    treinando = otim is not None
    modelo.train(treinando)
    soma_perda, acertos, n = 0.0, 0, 0
    with torch.set_grad_enabled(treinando):
        for clipe, audio, y in loader:
            clipe, audio, y = clipe.to(dev), audio.to(dev), y.to(dev)
            logits = modelo(clipe, audio)
            perda = F.cross_entropy(logits, y)
            if treinando:
                otim.zero_grad(); perda.backward(); otim.step()
            soma_perda += perda.item() * len(y); acertos += (logits.argmax(1) == y).sum().item(); n += len(y)
    return soma_perda / n, acertos / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--treino", default="clipes_treino.pt")
    ap.add_argument("--val", default="clipes_val.pt")
    ap.add_argument("--epocas", type=int, default=40)
    ap.add_argument("--lote", type=int, default=16)
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO)
    dev = "cuda" if torch.cuda.is_available() else "cpu"

    modelo = construir().to(dev)
    otim = torch.optim.AdamW(modelo.parameters(), lr=3e-4, weight_decay=0.05)
    lt = DataLoader(Clipes(a.treino), batch_size=a.lote, shuffle=True, num_workers=8, drop_last=True)
    lv = DataLoader(Clipes(a.val), batch_size=a.lote, num_workers=8)
    for ep in range(a.epocas):
        pt, at = rodar_epoca(modelo, lt, otim, dev)
        pv, av = rodar_epoca(modelo, lv, None, dev)
        log.info("ep %02d | treino %.4f/%.3f | val %.4f/%.3f", ep, pt, at, pv, av)
    torch.save(modelo.state_dict(), "clipes_fusao.pt")


if __name__ == "__main__":
    main()
