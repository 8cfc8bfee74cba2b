"""Human-activity recognition from wrist IMU streams (accelerometer + gyroscope,
50 Hz) with a residual 1D CNN, trained with PyTorch Lightning.

Windows are stored as (window, 6) arrays, i.e. time-major.
"""
from __future__ import annotations

import argparse

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

ACTIVITIES = ["walk", "run", "stairs_up", "stairs_down", "sit", "stand", "lie", "cycle"]
CFG = {
    "channels": 6,
    "window": 256,
    "widths": [64, 128, 128, 256],
    "batch_size": 128,
    "eval_batch_size": 512,
    "lr": 2e-3,
    "max_epochs": 40,
}


class ResBlock1d(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(in_ch, out_ch, 7, stride=stride, padding=3, bias=False),
            nn.BatchNorm1d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv1d(out_ch, out_ch, 7, padding=3, bias=False),
            nn.BatchNorm1d(out_ch),
        )
        self.skip = nn.Sequential(nn.Conv1d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm1d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.skip(x))


class HARNet(pl.LightningModule):
    def __init__(self, cfg: dict = CFG, num_classes: int = len(ACTIVITIES)):
        super().__init__()
        self.save_hyperparameters()
        widths = cfg["widths"]
        self.stem = nn.Sequential(nn.Conv1d(cfg["channels"], widths[0], 9, padding=4, bias=False), nn.BatchNorm1d(widths[0]), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(*[ResBlock1d(a, b, stride=2) for a, b in zip(widths[:-1], widths[1:])])
        self.embed = nn.Sequential(nn.Linear(widths[-1], 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(128, num_classes)
        self.lr = cfg["lr"]
        self._val_correct = 0
        self._val_total = 0

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        x = windows.permute(0, 2, 1)          # (N, L, 6) -> (N, 6, L)
        x = self.blocks(self.stem(x))
        x = x.mean(dim=2)                     # global average over time -> (N, C)
        return self.classifier(self.embed(x))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y, label_smoothing=0.1)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val/loss", F.cross_entropy(logits, y), prog_bar=True)
        self._val_correct += (logits.argmax(1) == y).sum().item()
        self._val_total += y.numel()

    def on_validation_epoch_end(self):
        self.log("val/acc", self._val_correct / max(self._val_total, 1), prog_bar=True)
        self._val_correct = self._val_total = 0

    def test_step(self, batch, batch_idx):
        x, y = batch
        acc = (self(x).argmax(1) == y).float().mean()
        self.log("test/acc", acc)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x = batch[0]
        return self(x).softmax(1).argmax(1)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.lr, weight_decay=1e-2)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=self.trainer.estimated_stepping_batches)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def load_split(path: str) -> TensorDataset:
    arr = np.load(path)
    x = torch.tensor(arr["windows"], dtype=torch.float32)   # (S, window, 6)
    y = torch.tensor(arr["labels"], dtype=torch.long)
    return TensorDataset(x, y)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/har")
    ap.add_argument("--devices", type=int, default=1)
    args = ap.parse_args()

    train_loader = DataLoader(load_split(f"{args.data}/train.npz"), batch_size=CFG["batch_size"], shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(load_split(f"{args.data}/val.npz"), batch_size=CFG["eval_batch_size"], num_workers=4)
    test_loader = DataLoader(load_split(f"{args.data}/test.npz"), batch_size=CFG["eval_batch_size"], num_workers=4)
    unlabeled = DataLoader(TensorDataset(torch.tensor(np.load(f"{args.data}/stream.npy"), dtype=torch.float32)), batch_size=CFG["eval_batch_size"])

    model = HARNet()
    trainer = pl.Trainer(max_epochs=CFG["max_epochs"], accelerator="auto", devices=args.devices,
                         gradient_clip_val=1.0, log_every_n_steps=20)
    trainer.fit(model, train_loader, val_loader)
    trainer.test(model, test_loader)
    preds = torch.cat(trainer.predict(model, unlabeled))
    counts = torch.bincount(preds, minlength=len(ACTIVITIES))
    for name, c in zip(ACTIVITIES, counts.tolist()):
        print(f"{name:>12s}: {c}")


if __name__ == "__main__":
    main()
