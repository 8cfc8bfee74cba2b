"""Single-process image-classification training framework.

A small but complete Trainer: fit / evaluate / predict, callbacks, automatic
mixed precision, gradient accumulation and checkpoint/resume.

Usage:
    python clean_01.py --epochs 30 --batch-size 128 --amp
    python clean_01.py --eval-only --resume runs/last.pt
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from typing import Dict, Iterator, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

logger = logging.getLogger("trainer")


# --------------------------------------------------------------------- model
def conv_bn_act(in_ch: int, out_ch: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride, bias=False),
                nn.BatchNorm2d(out_ch),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x), inplace=True)


class SmallResNet(nn.Module):
    def __init__(self, num_classes: int = 10, width: int = 32) -> None:
        super().__init__()
        self.stem = conv_bn_act(3, width)
        self.layer1 = ResidualBlock(width, width)
        self.layer2 = ResidualBlock(width, width * 2, stride=2)
        self.layer3 = ResidualBlock(width * 2, width * 4, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width * 4, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


# ---------------------------------------------------------------------- data
class RandomImageDataset(Dataset):
    """Stand-in dataset so the framework can be smoke-tested without disk IO."""

    def __init__(self, length: int, num_classes: int = 10, size: int = 32) -> None:
        self.length = length
        self.num_classes = num_classes
        self.size = size

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, idx: int):
        g = torch.Generator().manual_seed(idx)
        image = torch.randn(3, self.size, self.size, generator=g)
        label = int(torch.randint(0, self.num_classes, (1,), generator=g))
        return image, label


# ----------------------------------------------------------------- callbacks
class Callback:
    def on_fit_start(self, trainer: "Trainer") -> None: ...
    def on_epoch_end(self, trainer: "Trainer", epoch: int, metrics: Dict[str, float]) -> None: ...
    def on_fit_end(self, trainer: "Trainer") -> None: ...


class EarlyStopping(Callback):
    def __init__(self, monitor: str = "val_acc", patience: int = 5, mode: str = "max") -> None:
        self.monitor, self.patience, self.mode = monitor, patience, mode
        self.best = -math.inf if mode == "max" else math.inf
        self.bad_epochs = 0

    def _improved(self, value: float) -> bool:
        return value > self.best if self.mode == "max" else value < self.best

    def on_epoch_end(self, trainer, epoch, metrics):
        value = metrics.get(self.monitor)
        if value is None:
            return
        if self._improved(value):
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
            if self.bad_epochs >= self.patience:
                logger.info("early stopping at epoch %d (best %s=%.4f)", epoch, self.monitor, self.best)
                trainer.should_stop = True


class ModelCheckpoint(Callback):
    def __init__(self, dirpath: str, monitor: str = "val_acc") -> None:
        self.dirpath, self.monitor = dirpath, monitor
        self.best = -math.inf
        os.makedirs(dirpath, exist_ok=True)

    def on_epoch_end(self, trainer, epoch, metrics):
        trainer.save_checkpoint(os.path.join(self.dirpath, "last.pt"), epoch)
        value = metrics.get(self.monitor, -math.inf)
        if value > self.best:
            self.best = value
            trainer.save_checkpoint(os.path.join(self.dirpath, "best.pt"), epoch)


# ------------------------------------------------------------------- trainer
@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 128
    eval_batch_size: int = 256
    accum_steps: int = 2
    lr: float = 0.1
    weight_decay: float = 5e-4
    amp: bool = False
    grad_clip: Optional[float] = 1.0
    log_every: int = 50


@contextlib.contextmanager
def evaluating(module: nn.Module) -> Iterator[nn.Module]:
    """Temporarily switch ``module`` to inference mode, restoring the old mode."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


class Trainer:
    def __init__(self, model: nn.Module, cfg: TrainConfig, device: torch.device,
                 callbacks: Optional[List[Callback]] = None) -> None:
        self.model = model.to(device)
        self.cfg = cfg
        self.device = device
        self.callbacks = callbacks or []
        self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=cfg.lr, momentum=0.9,
                                         weight_decay=cfg.weight_decay, nesterov=True)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=cfg.epochs)
        self.scaler = torch.cuda.amp.GradScaler(enabled=cfg.amp)
        self.start_epoch = 0
        self.global_step = 0
        self.should_stop = False

    # -- checkpointing -------------------------------------------------------
    def save_checkpoint(self, path: str, epoch: int) -> None:
        torch.save({
            "epoch": epoch,
            "global_step": self.global_step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "config": asdict(self.cfg),
        }, path)

    def load_checkpoint(self, path: str, weights_only: bool = False) -> None:
        state = torch.load(path, map_location=self.device)
        self.model.load_state_dict(state["model"])
        if weights_only:
            return
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.start_epoch = state["epoch"] + 1
        self.global_step = state["global_step"]
        logger.info("resumed from %s at epoch %d", path, self.start_epoch)

    # -- training ------------------------------------------------------------
    def _train_one_epoch(self, loader: DataLoader, epoch: int) -> Dict[str, float]:
        self.model.train()
        cfg = self.cfg
        running_loss, correct, seen = 0.0, 0, 0
        self.optimizer.zero_grad(set_to_none=True)
        for step, (images, targets) in enumerate(loader):
            images = images.to(self.device, non_blocking=True)
            targets = targets.to(self.device, non_blocking=True)
            with torch.autocast(device_type=self.device.type, enabled=cfg.amp):
                logits = self.model(images)
                loss = self.criterion(logits, targets) / cfg.accum_steps
            self.scaler.scale(loss).backward()

            if (step + 1) % cfg.accum_steps == 0:
                if cfg.grad_clip is not None:
                    self.scaler.unscale_(self.optimizer)
                    nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad(set_to_none=True)
                self.global_step += 1

            # running accuracy on the training logits (same forward as the loss)
            running_loss += loss.item() * cfg.accum_steps * images.size(0)
            correct += (logits.detach().argmax(dim=1) == targets).sum().item()
            seen += images.size(0)
            if step % cfg.log_every == 0:
                logger.info("epoch %d step %d loss %.4f", epoch, step, running_loss / max(seen, 1))
        return {"train_loss": running_loss / max(seen, 1), "train_acc": correct / max(seen, 1)}

    def fit(self, train_loader: DataLoader, val_loader: Optional[DataLoader] = None) -> None:
        for cb in self.callbacks:
            cb.on_fit_start(self)
        for epoch in range(self.start_epoch, self.cfg.epochs):
            t0 = time.time()
            metrics = self._train_one_epoch(train_loader, epoch)
            if val_loader is not None:
                metrics.update(self.evaluate(val_loader))
            self.scheduler.step()
            metrics["epoch_time"] = time.time() - t0
            logger.info("epoch %d: %s", epoch, metrics)
            for cb in self.callbacks:
                cb.on_epoch_end(self, epoch, metrics)
            if self.should_stop:
                break
        for cb in self.callbacks:
            cb.on_fit_end(self)

    # -- evaluation ----------------------------------------------------------
    def evaluate(self, loader: DataLoader) -> Dict[str, float]:
        total_loss, correct, seen = 0.0, 0, 0
        with evaluating(self.model), torch.no_grad():
            for images, targets in loader:
                images = images.to(self.device, non_blocking=True)
                targets = targets.to(self.device, non_blocking=True)
                with torch.autocast(device_type=self.device.type, enabled=self.cfg.amp):
                    logits = self.model(images)
                total_loss += F.cross_entropy(logits.float(), targets, reduction="sum").item()
                correct += (logits.argmax(dim=1) == targets).sum().item()
                seen += targets.numel()
        return {"val_loss": total_loss / max(seen, 1), "val_acc": correct / max(seen, 1)}

    @torch.inference_mode()
    def predict(self, loader: DataLoader) -> torch.Tensor:
        self.model.eval()
        preds = []
        for batch in loader:
            images = batch[0] if isinstance(batch, (list, tuple)) else batch
            logits = self.model(images.to(self.device))
            preds.append(logits.argmax(dim=1).cpu())
        return torch.cat(preds)


# ----------------------------------------------------------------------- cli
def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--accum-steps", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--amp", action="store_true")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--out", default="runs/clean_01")
    p.add_argument("--resume", default=None)
    p.add_argument("--eval-only", action="store_true")
    return p.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO)
    args = parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size,
                      accum_steps=args.accum_steps, lr=args.lr, amp=args.amp)

    train_ds = RandomImageDataset(50_000)
    val_ds = RandomImageDataset(10_000)
    train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True,
                              num_workers=args.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=cfg.eval_batch_size, shuffle=False,
                            num_workers=args.workers, pin_memory=True)

    trainer = Trainer(SmallResNet(num_classes=10), cfg, device, callbacks=[
        EarlyStopping(patience=8),
        ModelCheckpoint(args.out),
    ])
    if args.resume:
        trainer.load_checkpoint(args.resume, weights_only=args.eval_only)

    if args.eval_only:
        logger.info("eval: %s", trainer.evaluate(val_loader))
        return
    trainer.fit(train_loader, val_loader)
    predictions = trainer.predict(val_loader)
    logger.info("predicted class histogram: %s", torch.bincount(predictions, minlength=10).tolist())


if __name__ == "__main__":
    main()
