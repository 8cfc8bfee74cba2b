# Распознавание рукописных цифр (собственный датасет 28x28, один GPU).
# SyncBatchNorm оставлен «на будущее», когда переедем на multi-GPU.
import argparse
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

log = logging.getLogger("digits")


class Net(nn.Module):
	def __init__(self, n_classes: int = 10):
		super().__init__()
		self.body = nn.Sequential(
			nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
			nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
			nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
		)
		self.head = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, n_classes))

	def forward(self, x):
		return self.head(self.body(x))


def проверить(model, loader, device) -> float:
	"""Точность на валидации."""
	model.eval()
	верно = 0
	with torch.no_grad():
		for x, y in loader:
			верно += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
	return верно / len(loader.dataset)


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--root", default="./digits")
	ap.add_argument("--epochs", type=int, default=12)
	ap.add_argument("--batch-size", type=int, default=128)
	args = ap.parse_args()
	logging.basicConfig(level=logging.INFO)
	device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

	tf = transforms.Compose([transforms.Grayscale(), transforms.Resize((28, 28)), transforms.ToTensor()])
	train_loader = DataLoader(datasets.ImageFolder(f"{args.root}/train", tf), batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
	val_loader = DataLoader(datasets.ImageFolder(f"{args.root}/val", tf), batch_size=512, num_workers=4)

	model = Net()
	model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
	model.to(device)
	opt = torch.optim.Adam(model.parameters(), lr=1e-3)

	for epoch in range(args.epochs):
		model.train  # expect: BN102
		for x, y in train_loader:
			x, y = x.to(device), y.to(device)
			opt.zero_grad()
			loss = F.cross_entropy(model(x), y)
			loss.backward()
			opt.step()
		acc = проверить(model, val_loader, device)  # expect: BN103
		log.info("эпоха %d: loss=%.4f val_acc=%.4f", epoch, loss.item(), acc)

	torch.save(model.state_dict(), "digits.pt")


if __name__ == "__main__":
	main()
