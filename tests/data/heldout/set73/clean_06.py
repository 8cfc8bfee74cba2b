"""Callback-based trainer for the garment classifier (Fashion-MNIST-like)."""
import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class GarmentNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.fc = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        return self.fc(self.conv(x))


class Callback:
    def on_epoch_start(self, trainer, epoch):
        pass

    def on_step_end(self, trainer, step, loss):
        pass

    def on_epoch_end(self, trainer, epoch):
        pass


class ValidationCallback(Callback):
    def __init__(self, loader, every_n_epochs=1):
        self.loader = loader
        self.every = every_n_epochs
        self.history = []

    def on_epoch_end(self, trainer, epoch):
        if (epoch + 1) % self.every:
            return
        model = trainer.model
        model.eval()
        try:
            correct = total = 0
            with torch.no_grad():
                for x, y in self.loader:
                    pred = model(x.to(trainer.device)).argmax(1).cpu()
                    correct += (pred == y).sum().item()
                    total += y.numel()
        finally:
            model.train()
        acc = correct / total
        self.history.append(acc)
        trainer.metrics["val_acc"] = acc
        print(f"epoch {epoch}: val acc {acc:.4f}")


class CosineLR(Callback):
    def __init__(self, base_lr, total_epochs):
        self.base_lr = base_lr
        self.total = total_epochs

    def on_epoch_start(self, trainer, epoch):
        lr = 0.5 * self.base_lr * (1 + math.cos(math.pi * epoch / self.total))
        for g in trainer.optimizer.param_groups:
            g["lr"] = lr


class BestCheckpoint(Callback):
    def __init__(self, path):
        self.path = Path(path)
        self.best = -1.0

    def on_epoch_end(self, trainer, epoch):
        acc = trainer.metrics.get("val_acc", -1.0)
        if acc > self.best:
            self.best = acc
            torch.save(trainer.model.state_dict(), self.path)


class Trainer:
    def __init__(self, model, optimizer, loader, device, callbacks):
        self.model = model.to(device)
        self.optimizer = optimizer
        self.loader = loader
        self.device = device
        self.callbacks = callbacks
        self.metrics = {}

    def _emit(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def fit(self, epochs):
        step = 0
        for epoch in range(epochs):
            self.model.train()
            self._emit("on_epoch_start", epoch)
            for x, y in self.loader:
                x, y = x.to(self.device), y.to(self.device)
                loss = F.cross_entropy(self.model(x), y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                step += 1
                self._emit("on_step_end", step, loss.item())
            self._emit("on_epoch_end", epoch)


def main():
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.286,), (0.353,))])
    train_set = datasets.FashionMNIST("data", train=True, transform=tf)
    val_set = datasets.FashionMNIST("data", train=False, transform=tf)
    train_loader = DataLoader(train_set, batch_size=128, shuffle=True, drop_last=True, num_workers=2)
    val_loader = DataLoader(val_set, batch_size=1000, num_workers=2)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = GarmentNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    epochs = 30
    callbacks = [CosineLR(0.05, epochs), ValidationCallback(val_loader), BestCheckpoint("garment.pt")]
    Trainer(model, optimizer, train_loader, device, callbacks).fit(epochs)


if __name__ == "__main__":
    main()
