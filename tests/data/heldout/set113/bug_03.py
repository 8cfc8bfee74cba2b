# Классификатор тональности коротких текстов (учебный пример к семинару №4).
# Данные синтетические: токены уже переведены в индексы, паддинг = 0.
import argparse
import logging
import time

import torch
from torch.nn import *
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

журнал = logging.getLogger("тональность")

РАЗМЕР_СЛОВАРЯ = 20000
ДЛИНА = 128          # длина последовательности после паддинга
ЭМБ = 128            # размерность эмбеддинга
ЧИСЛО_ПРИМЕРОВ = 5001
ЧИСЛО_ВАЛИДАЦИИ = 1000


class ТекстовыйКлассификатор(Module):
    """Эмбеддинг -> нормализация -> свёртка по времени -> max-pool -> линейный слой."""

    def __init__(self, словарь: int = РАЗМЕР_СЛОВАРЯ, эмб: int = ЭМБ, классов: int = 2):
        super().__init__()
        self.вложения = Embedding(словарь, эмб, padding_idx=0)
        self.норма = BatchNorm1d(эмб)
        self.свёртка = Conv1d(эмб, 256, kernel_size=5, padding=2, bias=False)
        self.норма2 = BatchNorm1d(256)
        self.дропаут = Dropout(0.2)
        self.голова = Linear(256, классов)

    def forward(self, токены: torch.Tensor) -> torch.Tensor:
        x = self.вложения(токены)          # (N, L, E)
        x = self.норма(x)  # expect: BN203
        x = x.transpose(1, 2)              # (N, E, L) для Conv1d
        x = F.relu(self.норма2(self.свёртка(x)))
        x = x.max(dim=2).values
        return self.голова(self.дропаут(x))


def разметка(X: torch.Tensor) -> torch.Tensor:
    # «позитив», если в первых 8 токенах больше «хороших» слов (индекс < половины словаря)
    return ((X[:, :8] < РАЗМЕР_СЛОВАРЯ // 2).sum(1) > 4).long()


@torch.no_grad()
def оценить(модель: Module, загрузчик: DataLoader, устройство: str) -> float:
    модель.eval()
    верно = всего = 0
    for x, y in загрузчик:
        предсказание = модель(x.to(устройство)).argmax(-1).cpu()
        верно += (предсказание == y).sum().item(); всего += len(y)
    return верно / всего


def main():
    п = argparse.ArgumentParser(description="Обучение классификатора тональности")
    п.add_argument("--эпохи", dest="epochs", type=int, default=5)
    п.add_argument("--batch-size", type=int, default=50)
    п.add_argument("--lr", type=float, default=1e-3)
    аргументы = п.parse_args()
    logging.basicConfig(level=logging.INFO)
    torch.manual_seed(0)

    устройство = "cuda" if torch.cuda.is_available() else "cpu"
    X_обуч = torch.randint(1, РАЗМЕР_СЛОВАРЯ, (ЧИСЛО_ПРИМЕРОВ, ДЛИНА))
    X_вал = torch.randint(1, РАЗМЕР_СЛОВАРЯ, (ЧИСЛО_ВАЛИДАЦИИ, ДЛИНА))
    обучающий = TensorDataset(X_обуч, разметка(X_обуч))
    валидационный = TensorDataset(X_вал, разметка(X_вал))
    загрузчик_обуч = DataLoader(обучающий, batch_size=аргументы.batch_size, shuffle=True)  # expect: BN302
    загрузчик_вал = DataLoader(валидационный, batch_size=200)

    модель = ТекстовыйКлассификатор().to(устройство)
    оптимизатор = torch.optim.Adam(модель.parameters(), lr=аргументы.lr)
    критерий = CrossEntropyLoss()

    for эпоха in range(аргументы.epochs):
        модель.train()
        старт, сумма = time.time(), 0.0
        for x, y in загрузчик_обуч:
            x, y = x.to(устройство), y.to(устройство)
            оптимизатор.zero_grad()
            потеря = критерий(модель(x), y)
            потеря.backward()
            оптимизатор.step()
            сумма += потеря.item()
        точность = оценить(модель, загрузчик_вал, устройство)
        журнал.info("эпоха %d: потеря %.4f, точность %.3f, %.1f с", эпоха, сумма / len(загрузчик_обуч), точность, time.time() - старт)

    torch.save(модель.state_dict(), "тональность.pt")


if __name__ == "__main__":
    main()
