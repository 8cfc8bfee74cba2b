"""Chest X-ray classifier training (single GPU).

Trainer with fit / evaluate / predict, AMP, checkpointing and early stopping.

    python bug_01.py --data-root /data/cxr --epochs 40
"""
from __future__ import annotations

import argparse
import logging
import math
import os
from dataclasses import dataclass
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

logger = logging.getLogger("cxr")
NUM_FINDINGS = 14


# --------------------------------------------------------------------- model
class DenseLayer(nn.Module):
    def __init__(self, in_ch: int, growth: int, bn_size: int = 4) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_ch)
        self.conv1 = nn.Conv2d(in_ch, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(F.relu(self.norm1(x)))
        out = self.conv2(F.relu(self.norm2(out)))
        return torch.cat([x, out], dim=1)


class Transition(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__(
            nn.BatchNorm2d(in_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_ch, out_ch, 1, bias=False),
            nn.AvgPool2d(2),
        )


class MiniDenseNet(nn.Module):
    def __init__(self, growth: int = 32, blocks=(6, 12, 24), init_ch: int = 64,
                 num_classes: int = NUM_FINDINGS) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, init_ch, kernel_size=7, stride=2, padding=3),  # expect: BN204
            nn.BatchNorm2d(init_ch),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        layers: List[nn.Module] = []
        ch = init_ch
        for i, n in enumerate(blocks):
            for _ in range(n):
                layers.append(DenseLayer(ch, growth))
                ch += growth
            if i != len(blocks) - 1:
                layers.append(Transition(ch, ch // 2))
                ch //= 2
        layers.append(nn.BatchNorm2d(ch))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.features(self.stem(x)), inplace=True)
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


# ---------------------------------------------------------------------- data
class XrayDataset(Dataset):
    def __init__(self, root: str, split: str, size: int = 320) -> None:
        self.root, self.split, self.size = root, split, size
        index = os.path.join(root, f"{split}.txt")
        if os.path.exists(index):
            with open(index) as fh:
                self.items = [line.split() for line in fh if line.strip()]
        else:
            self.items = [[f"synthetic_{i}.png"] + ["0"] * NUM_FINDINGS for i in range(2_000)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        g = torch.Generator().manual_seed(i)
        image = torch.randn(1, self.size, self.size, generator=g)
        labels = torch.tensor([float(v) for v in self.items[i][1:]])
        return image, labels


# ------------------------------------------------------------------- trainer
@dataclass
class Config:
    data_root: str = "/data/cxr"
    epochs: int = 40
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-5
    amp: bool = True
    patience: int = 6
    out_dir: str = "runs/cxr"


def macro_auroc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    aucs = []
    for c in range(labels.size(1)):
        pos, neg = scores[labels[:, c] == 1, c], scores[labels[:, c] == 0, c]
        if len(pos) == 0 or len(neg) == 0:
            continue
        aucs.append((pos.unsqueeze(1) > neg.unsqueeze(0)).float().mean().item())
    return sum(aucs) / len(aucs) if aucs else float("nan")


class Trainer:
    def __init__(self, model: nn.Module, cfg: Config) -> None:
        self.cfg = cfg
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr,
                                           weight_decay=cfg.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(self.optimizer, mode="max",
                                                                    factor=0.1, patience=2)
        self.scaler = torch.cuda.amp.GradScaler(enabled=cfg.amp)
        self.best_auc = -math.inf
        self.bad_epochs = 0
        os.makedirs(cfg.out_dir, exist_ok=True)

    def _train_epoch(self, loader: DataLoader, epoch: int) -> float:
        self.model.train()
        total, n = 0.0, 0
        for step, (images, labels) in enumerate(loader):
            images, labels = images.to(self.device), labels.to(self.device)
            with torch.autocast(self.device.type, enabled=self.cfg.amp):
                loss = F.binary_cross_entropy_with_logits(self.model(images), labels)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            total += loss.item() * images.size(0)
            n += images.size(0)
            if step % 100 == 0:
                logger.info("epoch %d step %d loss %.4f", epoch, step, loss.item())
        return total / max(n, 1)

    @torch.no_grad()
    def evaluate(self, loader: DataLoader) -> Dict[str, float]:
        scores, targets = [], []
        for images, labels in loader:
            with torch.autocast(self.device.type, enabled=self.cfg.amp):
                logits = self.model(images.to(self.device))  # expect: BN101
            scores.append(torch.sigmoid(logits.float()).cpu())
            targets.append(labels)
        scores, targets = torch.cat(scores), torch.cat(targets)
        return {
            "auroc": macro_auroc(scores, targets),
            "bce": F.binary_cross_entropy(scores.clamp(1e-6, 1 - 1e-6), targets).item(),
        }

    @torch.inference_mode()
    def predict(self, loader: DataLoader) -> torch.Tensor:
        self.model.eval()
        out = []
        for images, _ in loader:
            out.append(torch.sigmoid(self.model(images.to(self.device))).cpu())
        return torch.cat(out)

    def _checkpoint(self, name: str, epoch: int) -> None:
        torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                    "scaler": self.scaler.state_dict(), "epoch": epoch, "best_auc": self.best_auc},
                   os.path.join(self.cfg.out_dir, name))

    def resume(self, path: str) -> int:
        state = torch.load(path, map_location=self.device)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scaler.load_state_dict(state["scaler"])
        self.best_auc = state["best_auc"]
        return state["epoch"] + 1

    def fit(self, train_loader: DataLoader, val_loader: DataLoader, start_epoch: int = 0) -> float:
        for epoch in range(start_epoch, self.cfg.epochs):
            train_loss = self._train_epoch(train_loader, epoch)
            metrics = self.evaluate(val_loader)
            self.scheduler.step(metrics["auroc"])
            logger.info("epoch %d train_loss %.4f val %s", epoch, train_loss, metrics)
            self._checkpoint("last.pt", epoch)
            if metrics["auroc"] > self.best_auc:
                self.best_auc, self.bad_epochs = metrics["auroc"], 0
                self._checkpoint("best.pt", epoch)
            else:
                self.bad_epochs += 1
                if self.bad_epochs >= self.cfg.patience:
                    logger.info("early stopping after epoch %d", epoch)
                    break
        return self.best_auc


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--data-root", default=Config.data_root)
    p.add_argument("--epochs", type=int, default=Config.epochs)
    p.add_argument("--batch-size", type=int, default=Config.batch_size)
    p.add_argument("--resume", default=None)
    args = p.parse_args(argv)
    cfg = Config(data_root=args.data_root, epochs=args.epochs, batch_size=args.batch_size)

    train_loader = DataLoader(XrayDataset(cfg.data_root, "train"), batch_size=cfg.batch_size,
                              shuffle=True, num_workers=8, drop_last=True, pin_memory=True)
    val_loader = DataLoader(XrayDataset(cfg.data_root, "val"), batch_size=64, num_workers=8)
    test_loader = DataLoader(XrayDataset(cfg.data_root, "test"), batch_size=64, num_workers=8)

    trainer = Trainer(MiniDenseNet(), cfg)
    start = trainer.resume(args.resume) if args.resume else 0
    best = trainer.fit(train_loader, val_loader, start)
    logger.info("best val AUROC %.4f", best)
    probs = trainer.predict(test_loader)
    torch.save(probs, os.path.join(cfg.out_dir, "test_probs.pt"))


if __name__ == "__main__":
    main()
