# Сегментация опухолей на МРТ-срезах 512x512 (2D U-Net).
# Батч всего 2 (ограничение памяти), поэтому в сети НЕТ BatchNorm — только GroupNorm.
# Проверка на отсутствие BN сделана явно через базовый класс _BatchNorm.
import argparse
import logging
from pathlib import Path

import numpy as np
import torch
from torch.nn import *
from torch.nn.modules.batchnorm import _BatchNorm
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

лог = logging.getLogger("мрт")
ГРУППЫ = 8


def норма(каналы: int) -> Module:
	return GroupNorm(ГРУППЫ, каналы)


def двойная_свёртка(вх: int, вых: int) -> Sequential:
	return Sequential(
		Conv2d(вх, вых, 3, padding=1), норма(вых), SiLU(inplace=True),
		Conv2d(вых, вых, 3, padding=1), норма(вых), SiLU(inplace=True),
	)


class UNet(Module):
	def __init__(self, вх: int = 1, классов: int = 2, база: int = 32) -> None:
		super().__init__()
		ш = [база * 2 ** i for i in range(4)]          # 32, 64, 128, 256
		self.вниз = ModuleList([двойная_свёртка(a, b) for a, b in zip([вх] + ш[:-1], ш)])
		self.вверх = ModuleList([ConvTranspose2d(b, a, 2, stride=2) for a, b in zip(ш[:-1], ш[1:])][::-1])
		self.слияние = ModuleList([двойная_свёртка(2 * a, a) for a in ш[:-1]][::-1])
		self.выход = Conv2d(ш[0], классов, 1)

	def forward(self, x: torch.Tensor) -> torch.Tensor:
		пропуски = []
		for i, блок in enumerate(self.вниз):
			x = блок(x if i == 0 else F.max_pool2d(x, 2))
			пропуски.append(x)
		for ап, сл, пр in zip(self.вверх, self.слияние, reversed(пропуски[:-1])):
			x = сл(torch.cat([ап(x), пр], dim=1))
		return self.выход(x)


class Срезы(Dataset):
	def __init__(self, папка: Path) -> None:
		self.файлы = sorted(папка.glob("*.npz"))

	def __len__(self) -> int:
		return len(self.файлы)

	def __getitem__(self, i: int):
		d = np.load(self.файлы[i])
		return torch.from_numpy(d["image"]).float()[None], torch.from_numpy(d["mask"]).long()


def dice(лог_вер: torch.Tensor, маска: torch.Tensor) -> float:
	пред = лог_вер.argmax(1)
	пересечение = ((пред == 1) & (маска == 1)).sum().item()
	return 2 * пересечение / max((пред == 1).sum().item() + (маска == 1).sum().item(), 1)


def main() -> None:
	п = argparse.ArgumentParser()
	п.add_argument("--данные", dest="data", type=Path, default=Path("mri"))
	п.add_argument("--батч", dest="batch", type=int, default=2)
	п.add_argument("--эпохи", dest="epochs", type=int, default=100)
	а = п.parse_args()
	logging.basicConfig(level=logging.INFO)
	устр = "cuda" if torch.cuda.is_available() else "cpu"

	модель = UNet().to(устр)
	assert not any(isinstance(m, _BatchNorm) for m in модель.modules()), "при батче 2 BatchNorm использовать нельзя"
	обуч = DataLoader(Срезы(а.data / "train"), batch_size=а.batch, shuffle=True, num_workers=4)
	тест = DataLoader(Срезы(а.data / "test"), batch_size=1)
	опт = torch.optim.AdamW(модель.parameters(), lr=2e-4)
	веса = torch.tensor([0.3, 0.7], device=устр)

	for эпоха in range(а.epochs):
		модель.train()
		for x, y in обуч:
			x, y = x.to(устр), y.to(устр)
			потеря = F.cross_entropy(модель(x), y, weight=веса)
			опт.zero_grad(); потеря.backward(); опт.step()
		if эпоха % 10 == 0:
			модель.eval()
			with torch.no_grad():
				оценки = [dice(модель(x.to(устр)), y.to(устр)) for x, y in тест]
			лог.info("эпоха %d  потеря %.4f  dice %.4f", эпоха, потеря.item(), float(np.mean(оценки)))
	torch.save(модель.state_dict(), "unet_gn.pt")


if __name__ == "__main__":
	main()
