"""
Линейное зондирование (linear probe) и дообучение головы поверх замороженного бэкбона.

Бэкбон заморожен ПОЛНОСТЬЮ: и веса (requires_grad = False), и статистики BN —
метод train() переопределён так, что бэкбон всегда остаётся в режиме eval.
Во второй модели используется FrozenBatchNorm2d из torchvision.
"""
from __future__ import annotations

import argparse
import logging
from typing import Iterable

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.ops import FrozenBatchNorm2d

лог = logging.getLogger("зонд")


def свёртка_бн(вх: int, вых: int, шаг: int = 1, норма=nn.BatchNorm2d) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(вх, вых, 3, шаг, 1, bias=False), норма(вых), nn.ReLU(inplace=True))


class Бэкбон(nn.Module):
    def __init__(self, норма=nn.BatchNorm2d) -> None:
        super().__init__()
        self.тело = nn.Sequential(свёртка_бн(3, 64, 2, норма), свёртка_бн(64, 128, 2, норма), свёртка_бн(128, 256, 2, норма), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.размер = 256

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.тело(x)


class Зонд(nn.Module):
    """Замороженный бэкбон + обучаемая голова."""

    def __init__(self, бэкбон: Бэкбон, классов: int) -> None:
        super().__init__()
        self.бэкбон = бэкбон
        for p in self.бэкбон.parameters():
            p.requires_grad = False
        self.бэкбон.eval()
        self.голова = nn.Sequential(nn.Linear(бэкбон.размер, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, классов))

    def train(self, mode: bool = True) -> "Зонд":
        super().train(mode)
        self.бэкбон.eval()          # BN бэкбона никогда не переходит в режим обучения
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            признаки = self.бэкбон(x)
        return self.голова(признаки)


def заморозить_всё(модули: Iterable[nn.Module]) -> None:
    for м in модули:
        м.requires_grad_(False)


def обучить(модель: nn.Module, загр: DataLoader, эпох: int, устр: str) -> None:
    опт = torch.optim.Adam([p for p in модель.parameters() if p.requires_grad], lr=1e-3)
    for эпоха in range(эпох):
        модель.train()
        for x, y in загр:
            потеря = F.cross_entropy(модель(x.to(устр)), y.to(устр))
            опт.zero_grad(); потеря.backward(); опт.step()
        лог.info("эпоха %d, потеря %.4f", эпоха, потеря.item())


@torch.no_grad()
def точность(модель: nn.Module, загр: DataLoader, устр: str) -> float:
    модель.eval()
    return sum((модель(x.to(устр)).argmax(1).cpu() == y).sum().item() for x, y in загр) / len(загр.dataset)


def main() -> None:
    п = argparse.ArgumentParser()
    п.add_argument("--веса", dest="weights", default="ssl_backbone.pt")
    п.add_argument("--эпохи", dest="epochs", type=int, default=10)
    а = п.parse_args()
    logging.basicConfig(level=logging.INFO)
    устр = "cuda" if torch.cuda.is_available() else "cpu"

    tf = transforms.Compose([transforms.Resize(96), transforms.ToTensor()])
    обуч = datasets.STL10("./stl10", split="train", download=True, transform=tf)
    тест = datasets.STL10("./stl10", split="test", download=True, transform=tf)
    загр = DataLoader(обуч, batch_size=128, shuffle=True, num_workers=4, drop_last=True)
    загр_тест = DataLoader(тест, batch_size=256, num_workers=4)

    # 1) зонд с обычным BN, замороженным через eval + переопределённый train()
    бэкбон = Бэкбон(); бэкбон.load_state_dict(torch.load(а.weights, map_location="cpu"))
    зонд = Зонд(бэкбон, 10).to(устр)
    обучить(зонд, загр, а.epochs, устр)
    лог.info("зонд (BatchNorm2d, eval): %.4f", точность(зонд, загр_тест, устр))

    # 2) тот же бэкбон, но с FrozenBatchNorm2d: статистики не меняются ни в каком режиме
    замороженный = Бэкбон(норма=FrozenBatchNorm2d)
    замороженный.load_state_dict(torch.load(а.weights, map_location="cpu"), strict=False)
    заморозить_всё([замороженный])
    голова = nn.Linear(замороженный.размер, 10)
    модель2 = nn.Sequential(замороженный, голова).to(устр)
    обучить(модель2, загр, а.epochs, устр)
    лог.info("вариант с FrozenBatchNorm2d: %.4f", точность(модель2, загр_тест, устр))


if __name__ == "__main__":
    main()
