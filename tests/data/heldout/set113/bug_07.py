"""
Дообучение (fine-tuning) классификатора дефектов на небольшом датасете.

Бэкбон предобучен на большом наборе (см. pretrain.py), здесь мы его
замораживаем и обучаем только «шею» и голову.
Запуск:  python bug_07.py --данные ./defects --веса backbone.pt
"""
import argparse
import logging
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import BatchNorm2d
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

лог = logging.getLogger("дефекты")


def блок(вх: int, вых: int) -> nn.Sequential:
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(вх, вых, 3, padding=1, bias=False)),
        ("bn", BatchNorm2d(вых)),
        ("relu", nn.ReLU(inplace=True)),
        ("pool", nn.MaxPool2d(2)),
    ]))


class Бэкбон(nn.Module):
    выход = 256

    def __init__(self) -> None:
        super().__init__()
        self.слои = nn.Sequential(блок(3, 32), блок(32, 64), блок(64, 128), блок(128, 256))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.слои(x)


class Классификатор(nn.Module):
    def __init__(self, бэкбон: Бэкбон, классов: int) -> None:
        super().__init__()
        self.бэкбон = бэкбон
        self.шея = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(256, 128, 1, bias=False)),
            ("bn", nn.BatchNorm2d(256)),  # expect: BN201
            ("act", nn.ReLU(inplace=True)),
            ("gap", nn.AdaptiveAvgPool2d(1)),
            ("flat", nn.Flatten()),
        ]))
        self.голова = nn.Linear(128, классов)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.голова(self.шея(self.бэкбон(x)))


def разобрать_аргументы() -> argparse.Namespace:
    п = argparse.ArgumentParser()
    п.add_argument("--данные", dest="data", type=Path, default=Path("./defects"))
    п.add_argument("--веса", dest="weights", type=Path, default=Path("backbone.pt"))
    п.add_argument("--эпохи", dest="epochs", type=int, default=15)
    п.add_argument("--lr", type=float, default=3e-4)
    return п.parse_args()


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    арг = разобрать_аргументы()
    устр = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    норм = transforms.Normalize([0.5] * 3, [0.5] * 3)
    обуч = datasets.ImageFolder(арг.data / "train", transforms.Compose([transforms.RandomResizedCrop(128), transforms.RandomHorizontalFlip(), transforms.ToTensor(), норм]))
    тест = datasets.ImageFolder(арг.data / "test", transforms.Compose([transforms.Resize(144), transforms.CenterCrop(128), transforms.ToTensor(), норм]))
    загр = DataLoader(обуч, batch_size=32, shuffle=True, num_workers=4, drop_last=True)
    загр_тест = DataLoader(тест, batch_size=64, num_workers=4)

    бэкбон = Бэкбон()
    бэкбон.load_state_dict(torch.load(арг.weights, map_location="cpu"))
    модель = Классификатор(бэкбон, len(обуч.classes)).to(устр)

    # замораживаем бэкбон: учим только шею и голову
    for p in модель.бэкбон.parameters():
        p.requires_grad = False  # expect: BN105

    оптим = torch.optim.AdamW([p for p in модель.parameters() if p.requires_grad], lr=арг.lr)
    критерий = nn.CrossEntropyLoss()

    for эпоха in range(арг.epochs):
        модель.train()
        сумма, верно, всего = 0.0, 0, 0
        for x, y in загр:
            x, y = x.to(устр), y.to(устр)
            логиты = модель(x)
            потеря = критерий(логиты, y)
            оптим.zero_grad(); потеря.backward(); оптим.step()
            сумма += потеря.item() * len(y); верно += (логиты.argmax(1) == y).sum().item(); всего += len(y)
        лог.info("эпоха %2d  потеря %.4f  точность(обуч) %.3f", эпоха, сумма / всего, верно / всего)

    # итоговая проверка на тестовой выборке
    верно = 0
    with torch.inference_mode():
        for x, y in загр_тест:
            предсказания = модель(x.to(устр)).argmax(1).cpu()  # expect: BN101
            верно += (предсказания == y).sum().item()
    лог.info("точность на тесте: %.4f", верно / len(тест))
    torch.save(модель.state_dict(), "классификатор.pt")


if __name__ == "__main__":
    main()
