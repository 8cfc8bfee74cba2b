"""Keyword spotting (speech commands) with a 1-D residual conv net.

Step-based trainer: validation every ``val_interval`` optimizer steps,
best-checkpoint tracking, label smoothing and SpecAugment-style masking.
"""
from __future__ import annotations

import argparse
import logging
import os
import time
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

log = logging.getLogger("kws")

LABELS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "_silence_", "_unknown_"]


# --------------------------------------------------------------------- model
class ResBlock1d(nn.Module):
    def __init__(self, channels: int, kernel_size: int = 9, dilation: int = 1) -> None:
        super().__init__()
        pad = dilation * (kernel_size // 2)
        self.conv1 = nn.Conv1d(channels, channels, kernel_size, padding=pad, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, padding=pad, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm1d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + x, inplace=True)


class KWSNet(nn.Module):
    def __init__(self, n_mels: int = 40, channels: int = 128, num_blocks: int = 6,
                 hidden: int = 256, num_classes: int = len(LABELS)) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(n_mels, channels, 5, padding=2, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(inplace=True),
        )
        self.blocks = nn.Sequential(*[ResBlock1d(channels, dilation=2 ** (i % 3)) for i in range(num_blocks)])
        self.head = nn.Sequential(
            nn.Linear(2 * channels, hidden, bias=False),
            nn.BatchNorm1d(hidden, momentum=0.99),  # expect: BN205
            nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, mel: torch.Tensor) -> torch.Tensor:   # (N, n_mels, T)
        x = self.blocks(self.stem(mel))
        pooled = torch.cat([x.mean(dim=2), x.amax(dim=2)], dim=1)   # (N, 2C)
        return self.head(pooled)


def spec_augment(mel: torch.Tensor, freq_mask: int = 8, time_mask: int = 20) -> torch.Tensor:
    mel = mel.clone()
    n, f, t = mel.shape
    for i in range(n):
        f0 = int(torch.randint(0, max(f - freq_mask, 1), ()))
        t0 = int(torch.randint(0, max(t - time_mask, 1), ()))
        mel[i, f0:f0 + int(torch.randint(0, freq_mask + 1, ())), :] = 0
        mel[i, :, t0:t0 + int(torch.randint(0, time_mask + 1, ()))] = 0
    return mel


# ---------------------------------------------------------------------- data
class SpeechCommands(Dataset):
    """Precomputed log-mel features stored as one tensor file per split."""

    def __init__(self, root: str, split: str, n_mels: int = 40, frames: int = 101) -> None:
        path = os.path.join(root, f"{split}.pt")
        if os.path.exists(path):
            blob = torch.load(path)
            self.features, self.labels = blob["features"], blob["labels"]
        else:
            n = {"train": 8_000, "valid": 1_000, "test": 1_000}[split]
            self.features = torch.randn(n, n_mels, frames)
            self.labels = torch.randint(0, len(LABELS), (n,))

    def __len__(self) -> int:
        return self.labels.numel()

    def __getitem__(self, i: int):
        return self.features[i], self.labels[i]


# ------------------------------------------------------------------- trainer
@dataclass
class TrainConfig:
    root: str = "data/speech_commands"
    max_steps: int = 30_000
    val_interval: int = 1_000
    batch_size: int = 96
    lr: float = 3e-3
    weight_decay: float = 1e-3
    label_smoothing: float = 0.1
    out_dir: str = "runs/kws"


class StepTrainer:
    def __init__(self, cfg: TrainConfig, model: nn.Module, train_loader: DataLoader,
                 val_loader: DataLoader) -> None:
        self.cfg = cfg
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr,
                                           weight_decay=cfg.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, max_lr=cfg.lr,
                                                             total_steps=cfg.max_steps, pct_start=0.1)
        self.global_step = 0
        self.best_acc = 0.0
        os.makedirs(cfg.out_dir, exist_ok=True)

    def _run_validation(self) -> Dict[str, float]:
        self.model.eval()
        correct = total = 0
        loss_sum = 0.0
        with torch.no_grad():
            for mel, y in self.val_loader:
                mel, y = mel.to(self.device), y.to(self.device)
                logits = self.model(mel)
                loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
                correct += (logits.argmax(1) == y).sum().item()
                total += y.numel()
        return {"val_loss": loss_sum / total, "val_acc": correct / total}

    def _save(self, name: str) -> None:
        torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(), "step": self.global_step,
                    "config": asdict(self.cfg)}, os.path.join(self.cfg.out_dir, name))

    def fit(self) -> float:
        cfg = self.cfg
        self.model.train()
        t0 = time.time()
        while self.global_step < cfg.max_steps:
            for mel, y in self.train_loader:
                mel = spec_augment(mel).to(self.device, non_blocking=True)
                y = y.to(self.device, non_blocking=True)
                logits = self.model(mel)
                loss = F.cross_entropy(logits, y, label_smoothing=cfg.label_smoothing)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
                self.optimizer.step()
                self.scheduler.step()
                self.global_step += 1

                if self.global_step % cfg.val_interval == 0:
                    metrics = self._run_validation()  # expect: BN103
                    log.info("step %d loss %.4f %s (%.0fs)", self.global_step, loss.item(),
                             metrics, time.time() - t0)
                    self._save("last.pt")
                    if metrics["val_acc"] > self.best_acc:
                        self.best_acc = metrics["val_acc"]
                        self._save("best.pt")
                if self.global_step >= cfg.max_steps:
                    break
        return self.best_acc

    @torch.inference_mode()
    def test(self, loader: DataLoader) -> float:
        self.model.eval()
        correct = total = 0
        for mel, y in loader:
            pred = self.model(mel.to(self.device)).argmax(1).cpu()
            correct += (pred == y).sum().item()
            total += y.numel()
        return correct / total


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--root", default=TrainConfig.root)
    p.add_argument("--max-steps", type=int, default=TrainConfig.max_steps)
    p.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    args = p.parse_args(argv)
    cfg = TrainConfig(root=args.root, max_steps=args.max_steps, batch_size=args.batch_size)

    train_loader = DataLoader(SpeechCommands(cfg.root, "train"), batch_size=cfg.batch_size,
                              shuffle=True, drop_last=True, num_workers=4)
    val_loader = DataLoader(SpeechCommands(cfg.root, "valid"), batch_size=256)
    test_loader = DataLoader(SpeechCommands(cfg.root, "test"), batch_size=256)

    trainer = StepTrainer(cfg, KWSNet(), train_loader, val_loader)
    best = trainer.fit()
    log.info("best val acc %.4f, test acc %.4f", best, trainer.test(test_loader))


if __name__ == "__main__":
    main()
