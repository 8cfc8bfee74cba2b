"""Treino do classificador de peixes.

    python -m proj_01.train
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms as T

from .config import EPOCAS, LR, RAIZ_DADOS, SEMENTE, TAMANHO_IMAGEM, TAMANHO_LOTE
from .modelos import RedePeixes
from .utils import MedidorMedia, avaliar, salvar

log = logging.getLogger("peixes")


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    torch.manual_seed(SEMENTE)
    disp = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    aug = T.Compose([T.RandomResizedCrop(TAMANHO_IMAGEM, scale=(0.6, 1.0)), T.RandomHorizontalFlip(), T.ToTensor()])
    base = T.Compose([T.Resize((TAMANHO_IMAGEM, TAMANHO_IMAGEM)), T.ToTensor()])
    treino_ds = datasets.ImageFolder(RAIZ_DADOS / "treino", aug)
    val_ds = datasets.ImageFolder(RAIZ_DADOS / "val", base)
    treino = DataLoader(treino_ds, batch_size=TAMANHO_LOTE, shuffle=True, num_workers=2)  # expect: BN301
    val = DataLoader(val_ds, batch_size=64, num_workers=2)

    modelo = RedePeixes().to(disp)
    otim = torch.optim.Adam(modelo.parameters(), lr=LR)
    melhor = 0.0

    modelo.train()
    for epoca in range(EPOCAS):
        perdas = MedidorMedia()
        for x, y in treino:
            x, y = x.to(disp), y.to(disp)
            perda = F.cross_entropy(modelo(x), y)
            otim.zero_grad(); perda.backward(); otim.step()
            perdas.atualizar(perda.item(), x.size(0))
        acc = avaliar(modelo, val, disp)  # expect: BN103
        log.info("época %02d | perda %.4f | acc val %.4f", epoca, perdas.media, acc)
        if acc > melhor:
            melhor = acc
            salvar(modelo, Path("checkpoints/melhor.pt"), epoca=epoca, acc=acc)


if __name__ == "__main__":
    main()
