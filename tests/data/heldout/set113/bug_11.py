"""Previsão de inadimplência (crédito) com uma MLP — versão TorchScript para produção.

Os dados reais ficam no data lake; aqui geramos um conjunto sintético com o mesmo
número de linhas da amostra de homologação (2049) para testar o pipeline ponta a ponta.
"""
import logging
from collections import OrderedDict
from typing import Iterator

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

logging.basicConfig(level=logging.INFO, format="%(levelname)s | %(message)s"); log = logging.getLogger("credito")

N_AMOSTRAS = 2049
N_ATRIBUTOS = 32
LOTE = 64
EPOCAS = 40


class ModeloCredito(nn.Module):
    def __init__(self, n_entrada: int = N_ATRIBUTOS) -> None:
        super().__init__()
        self.rede = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(n_entrada, 128)),  # expect: BN204
            ("bn1", nn.BatchNorm1d(128)),
            ("act1", nn.SiLU()),
            ("drop1", nn.Dropout(0.2)),
            ("fc2", nn.Linear(128, 64, bias=False)),
            ("bn2", nn.BatchNorm1d(64)),
            ("act2", nn.SiLU()),
            ("saida", nn.Linear(64, 1)),
        ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rede(x).squeeze(-1)


def main() -> None:
    g = torch.Generator().manual_seed(7); X = torch.randn(N_AMOSTRAS, N_ATRIBUTOS, generator=g); w = torch.randn(N_ATRIBUTOS, generator=g)
    y = (torch.sigmoid(X @ w + 0.3 * torch.randn(N_AMOSTRAS, generator=g)) > 0.5).float()
    ds = TensorDataset(X, y)
    carregador = DataLoader(ds, batch_size=LOTE, shuffle=True)  # expect: BN302
    modelo = ModeloCredito(); otim = torch.optim.AdamW(modelo.parameters(), lr=2e-3, weight_decay=1e-2); criterio = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(1.5))

    for epoca in range(EPOCAS):
        modelo.train(); it: Iterator = iter(carregador); soma = 0.0; passos = 0
        while (lote := next(it, None)) is not None:
            xb, yb = lote; otim.zero_grad(); perda = criterio(modelo(xb), yb); perda.backward(); otim.step(); soma += perda.item(); passos += 1
        if (media := soma / passos) < 0.05:
            log.info("convergiu na época %d (perda média %.4f)", epoca, media); break
        log.info("época %02d | perda média %.4f", epoca, media)

    exemplo = X[:8]
    tracado = torch.jit.trace(modelo, exemplo)  # expect: BN104
    tracado.save("modelo_credito.pt"); log.info("modelo TorchScript salvo (%d parâmetros)", sum(p.numel() for p in modelo.parameters()))


if __name__ == "__main__":
    main()
