"""Minimal callback-driven trainer, used here for multispectral land-cover classification."""
import contextlib
import json
import math
from pathlib import Path
from typing import Iterable

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from eurosat import MultispectralEuroSAT  # project-local dataset (13-band tiles)


@contextlib.contextmanager
def evaluating(model: nn.Module):
    """Temporarily switch a module to eval mode, restoring its previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


class Callback:
    def on_fit_start(self, trainer): ...
    def on_epoch_end(self, trainer, epoch: int, logs: dict): ...
    def on_fit_end(self, trainer): ...


class ModelCheckpoint(Callback):
    def __init__(self, dirpath: Path, monitor="val_acc"):
        self.dirpath, self.monitor, self.best = dirpath, monitor, -math.inf

    def on_fit_start(self, trainer):
        self.dirpath.mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, trainer, epoch, logs):
        torch.save({"model": trainer.model.state_dict(), "optimizer": trainer.optimizer.state_dict(),
                    "epoch": epoch}, self.dirpath / "last.ckpt")
        if logs[self.monitor] > self.best:
            self.best = logs[self.monitor]
            torch.save(trainer.model.state_dict(), self.dirpath / "best.pt")


class JsonLogger(Callback):
    def __init__(self, path: Path):
        self.path, self.history = path, []

    def on_epoch_end(self, trainer, epoch, logs):
        self.history.append({"epoch": epoch, **logs})

    def on_fit_end(self, trainer):
        self.path.write_text(json.dumps(self.history, indent=2))


class Trainer:
    def __init__(self, model, optimizer, train_loader, val_loader, callbacks: Iterable[Callback] = (),
                 device="cuda", max_epochs=30):
        self.model = model.to(device)
        self.optimizer = optimizer
        self.train_loader, self.val_loader = train_loader, val_loader
        self.callbacks = list(callbacks)
        self.device, self.max_epochs = device, max_epochs

    def _emit(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def _train_epoch(self) -> float:
        self.model.train()
        total = 0.0
        for x, y in self.train_loader:
            x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            loss = F.cross_entropy(self.model(x), y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += loss.item()
        return total / len(self.train_loader)

    @torch.no_grad()
    def _validate(self) -> dict:
        correct, seen, loss = 0, 0, 0.0
        for x, y in self.val_loader:
            x, y = x.to(self.device), y.to(self.device)
            logits = self.model(x)
            loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            seen += y.numel()
        return {"val_loss": loss / seen, "val_acc": correct / seen}

    def fit(self):
        self._emit("on_fit_start")
        for epoch in range(self.max_epochs):
            train_loss = self._train_epoch()
            with evaluating(self.model):
                logs = self._validate()
            logs["train_loss"] = train_loss
            print(f"epoch {epoch}: " + " ".join(f"{k}={v:.4f}" for k, v in logs.items()))
            self._emit("on_epoch_end", epoch, logs)
        self._emit("on_fit_end")


def block(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class LandCoverNet(nn.Module):
    def __init__(self, bands=13, num_classes=10):
        super().__init__()
        self.stem_norm = nn.BatchNorm2d(bands)
        self.features = nn.Sequential(block(bands, 64), block(64, 128), block(128, 256))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(256, num_classes))

    def forward(self, x):
        return self.head(self.features(self.stem_norm(x)))


if __name__ == "__main__":
    root = Path("data/eurosat_ms")
    train_loader = DataLoader(MultispectralEuroSAT(root, "train"), batch_size=64, shuffle=True,
                              num_workers=8, drop_last=True)
    val_loader = DataLoader(MultispectralEuroSAT(root, "val"), batch_size=256, num_workers=8)
    model = LandCoverNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    trainer = Trainer(model, optimizer, train_loader, val_loader,
                      callbacks=[ModelCheckpoint(Path("runs/landcover")), JsonLogger(Path("runs/landcover.json"))],
                      device="cuda" if torch.cuda.is_available() else "cpu")
    trainer.fit()
