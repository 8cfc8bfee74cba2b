# Классификация коротких отзывов: две ветви (свёрточная и трансформерная).
# BatchNorm1d в свёрточной ветви применяется ПОСЛЕ перестановки осей (N, E, L),
# в трансформерной ветви — LayerNorm по последней оси.
import argparse
import logging

import torch
from torch.nn import *
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

журнал = logging.getLogger(__name__)

СЛОВАРЬ = 30000
ДЛИНА = 96
ЭМБ = 96            # да, совпадает с длиной — поэтому особенно аккуратно с осями
ОБУЧ, ВАЛ = 5000, 1001


class СвёрточнаяВетвь(Module):
    def __init__(self, эмб: int = ЭМБ, скрытый: int = 192) -> None:
        super().__init__()
        self.норма_входа = BatchNorm1d(эмб)
        self.свёртка = Conv1d(эмб, скрытый, 3, padding=1, bias=False)
        self.норма = BatchNorm1d(скрытый)

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # x: (N, L, E)
        x = x.transpose(1, 2)                               # -> (N, E, L)
        x = self.норма_входа(x)
        x = F.gelu(self.норма(self.свёртка(x)))
        return x.amax(dim=-1)                               # (N, скрытый)


class ТокенНорм(Module):
    """BatchNorm по признакам каждого токена: (N, L, E) -> (N*L, E) -> обратно."""

    def __init__(self, эмб: int = ЭМБ) -> None:
        super().__init__()
        self.bn = BatchNorm1d(эмб)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, l, e = x.shape
        return self.bn(x.reshape(n * l, e)).reshape(n, l, e)


class Отзывы(Module):
    def __init__(self, классов: int = 3) -> None:
        super().__init__()
        self.вложения = Embedding(СЛОВАРЬ, ЭМБ, padding_idx=0)
        self.токен_норм = ТокенНорм(ЭМБ)
        self.свёрточная = СвёрточнаяВетвь()
        слой = TransformerEncoderLayer(ЭМБ, nhead=4, dim_feedforward=256, batch_first=True)
        self.трансформер = TransformerEncoder(слой, num_layers=2)
        self.норма_тр = LayerNorm(ЭМБ)
        self.голова = Sequential(Linear(192 + ЭМБ, 128, bias=False), BatchNorm1d(128), ReLU(), Linear(128, классов))

    def forward(self, токены: torch.Tensor) -> torch.Tensor:
        e = self.токен_норм(self.вложения(токены))          # (N, L, E)
        a = self.свёрточная(e)
        b = self.норма_тр(self.трансформер(e)).mean(dim=1)   # (N, E)
        return self.голова(torch.cat([a, b], dim=-1))


def оценить(модель: Module, загрузчик: DataLoader) -> float:
    модель.eval()
    верно = 0
    with torch.no_grad():
        for x, y in загрузчик:
            верно += (модель(x).argmax(-1) == y).sum().item()
    return верно / len(загрузчик.dataset)


def main() -> None:
    п = argparse.ArgumentParser()
    п.add_argument("--epochs", type=int, default=4)
    п.add_argument("--batch-size", type=int, default=50)
    арг = п.parse_args()
    logging.basicConfig(level=logging.INFO)
    torch.manual_seed(0)

    X = torch.randint(1, СЛОВАРЬ, (ОБУЧ, ДЛИНА)); y = torch.randint(0, 3, (ОБУЧ,))
    Xv = torch.randint(1, СЛОВАРЬ, (ВАЛ, ДЛИНА)); yv = torch.randint(0, 3, (ВАЛ,))
    обуч = DataLoader(TensorDataset(X, y), batch_size=арг.batch_size, shuffle=True)
    вал = DataLoader(TensorDataset(Xv, yv), batch_size=арг.batch_size)   # 1001 % 50 == 1, но это только оценка

    модель = Отзывы()
    опт = torch.optim.AdamW(модель.parameters(), lr=5e-4)
    for эпоха in range(арг.epochs):
        модель.train()
        for xb, yb in обуч:
            опт.zero_grad(); потеря = F.cross_entropy(модель(xb), yb); потеря.backward(); опт.step()
        журнал.info("эпоха %d  потеря %.4f  вал. точность %.3f", эпоха, потеря.item(), оценить(модель, вал))


if __name__ == "__main__":
    main()
