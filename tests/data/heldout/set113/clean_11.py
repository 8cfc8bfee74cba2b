"""Detecção de fraude em transações (MLP tabular) com média móvel exponencial (EMA) dos pesos.

A EMA é avaliada e exportada (TorchScript) — sempre em modo eval.  Dados sintéticos com
o mesmo formato da base de homologação: 2050 linhas x 30 atributos.
"""
import copy, logging
from collections import OrderedDict

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(message)s"); log = logging.getLogger("fraude")
N_TREINO, N_VAL, N_ATRIB, LOTE, EPOCAS, DECAIMENTO = 2050, 513, 30, 64, 30, 0.999

camadas = lambda d, h: OrderedDict([("fc1", nn.Linear(d, h, bias=False)), ("bn1", nn.BatchNorm1d(h)), ("act1", nn.ReLU()), ("fc2", nn.Linear(h, h // 2, bias=False)), ("bn2", nn.BatchNorm1d(h // 2)), ("act2", nn.ReLU()), ("saida", nn.Linear(h // 2, 1))])


class ModeloFraude(nn.Module):
    def __init__(self, d: int = N_ATRIB, h: int = 128) -> None:
        super().__init__(); self.rede = nn.Sequential(camadas(d, h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rede(x).squeeze(-1)


@torch.no_grad()
def atualizar_ema(ema: nn.Module, modelo: nn.Module, d: float = DECAIMENTO) -> None:
    for pe, pm in zip(ema.parameters(), modelo.parameters()):
        pe.mul_(d).add_(pm.detach(), alpha=1 - d)
    for be, bm in zip(ema.buffers(), modelo.buffers()):
        be.copy_(bm)


@torch.no_grad()
def auc_aprox(modelo: nn.Module, loader: DataLoader) -> float:
    modelo.eval(); pontuacoes, rotulos = [], []
    for xb, yb in loader:
        pontuacoes.append(modelo(xb)); rotulos.append(yb)
    s, y = torch.cat(pontuacoes), torch.cat(rotulos)
    pos, neg = s[y == 1], s[y == 0]
    return (pos[:, None] > neg[None, :]).float().mean().item() if len(pos) and len(neg) else float("nan")


def main() -> None:
    torch.manual_seed(0); w = torch.randn(N_ATRIB)
    X = torch.randn(N_TREINO, N_ATRIB); y = (X @ w + torch.randn(N_TREINO) > 2.0).float()
    Xv = torch.randn(N_VAL, N_ATRIB); yv = (Xv @ w + torch.randn(N_VAL) > 2.0).float()
    treino = DataLoader(TensorDataset(X, y), batch_size=LOTE, shuffle=True)          # 2050 % 64 == 2
    val = DataLoader(TensorDataset(Xv, yv), batch_size=LOTE)                          # 513 % 64 == 1, só avaliação

    modelo = ModeloFraude(); ema = copy.deepcopy(modelo).eval(); [p.requires_grad_(False) for p in ema.parameters()]
    otim = torch.optim.AdamW(modelo.parameters(), lr=1e-3); criterio = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(8.0))

    for epoca in range(EPOCAS):
        modelo.train(); it = iter(treino)
        while (lote := next(it, None)) is not None:
            xb, yb = lote; otim.zero_grad(); (perda := criterio(modelo(xb), yb)).backward(); otim.step(); atualizar_ema(ema, modelo)
        log.info("época %02d | perda %.4f | AUC modelo %.4f | AUC ema %.4f", epoca, perda.item(), auc_aprox(modelo, val), auc_aprox(ema, val))

    ema.eval(); exemplo = Xv[:16]
    rastreado = torch.jit.trace(ema, exemplo); rastreado.save("fraude_ema.pt"); log.info("EMA exportada (%d amostras de exemplo)", len(exemplo))


if __name__ == "__main__":
    main()
