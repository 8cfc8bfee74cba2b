"""CIFAR-10 training with torch.compile, bf16 autocast and channels_last.

Usage:
    python bug_01.py --data-dir ./data --epochs 30
"""
from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import v2

log = logging.getLogger("cifar_compile")

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


@dataclass
class TrainConfig:
    data_dir: Path = Path("./data")
    out_dir: Path = Path("./runs/cifar_compile")
    epochs: int = 30
    batch_size: int = 256
    lr: float = 0.2
    weight_decay: float = 5e-4
    num_workers: int = 8
    compile_mode: str = "max-autotune-no-cudagraphs"
    widths: tuple[int, ...] = (64, 128, 256, 512)


class ConvBNAct(nn.Sequential):
    """3x3 conv -> BN -> SiLU (ported from the TF reference implementation)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(out_ch, eps=1e-3, momentum=0.99),  # expect: BN205
            nn.SiLU(inplace=True),
        )


class ResidualStage(nn.Module):
    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.down = ConvBNAct(in_ch, out_ch, stride=2)
        self.body = nn.Sequential(ConvBNAct(out_ch, out_ch), ConvBNAct(out_ch, out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.down(x)
        return x + self.body(x)


class CifarNet(nn.Module):
    def __init__(self, widths: tuple[int, ...], num_classes: int = 10) -> None:
        super().__init__()
        self.stem = ConvBNAct(3, widths[0])
        self.stages = nn.Sequential(
            *[ResidualStage(a, b) for a, b in zip(widths[:-1], widths[1:])]
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(widths[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))
        return self.head(torch.flatten(self.pool(x), 1))


def build_loaders(cfg: TrainConfig) -> tuple[DataLoader, DataLoader]:
    train_tf = v2.Compose([
        v2.ToImage(),
        v2.RandomCrop(32, padding=4, padding_mode="reflect"),
        v2.RandomHorizontalFlip(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(CIFAR_MEAN, CIFAR_STD),
    ])
    val_tf = v2.Compose([
        v2.ToImage(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(CIFAR_MEAN, CIFAR_STD),
    ])
    train_set = datasets.CIFAR10(cfg.data_dir, train=True, download=True, transform=train_tf)
    val_set = datasets.CIFAR10(cfg.data_dir, train=False, download=True, transform=val_tf)
    train_loader = DataLoader(
        train_set, batch_size=cfg.batch_size, shuffle=True, num_workers=cfg.num_workers,
        pin_memory=True, drop_last=True, persistent_workers=True,
    )
    val_loader = DataLoader(val_set, batch_size=1024, num_workers=cfg.num_workers, pin_memory=True)
    return train_loader, val_loader


def main(cfg: TrainConfig) -> None:
    torch.backends.cudnn.benchmark = True
    torch.set_float32_matmul_precision("high")
    device = torch.device("cuda")
    cfg.out_dir.mkdir(parents=True, exist_ok=True)

    train_loader, val_loader = build_loaders(cfg)
    model = CifarNet(cfg.widths).to(device, memory_format=torch.channels_last)
    model = torch.compile(model, mode=cfg.compile_mode)

    optimizer = torch.optim.SGD(
        model.parameters(), lr=cfg.lr, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=cfg.lr, epochs=cfg.epochs, steps_per_epoch=len(train_loader)
    )

    best_acc = 0.0
    for epoch in range(cfg.epochs):
        model.train()
        t0 = time.perf_counter()
        running = 0.0
        for images, targets in train_loader:
            images = images.to(device, non_blocking=True, memory_format=torch.channels_last)
            targets = targets.to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(images), targets, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += loss.item()

        correct, total = 0, 0
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
            for images, targets in val_loader:
                images = images.to(device, non_blocking=True, memory_format=torch.channels_last)
                targets = targets.to(device, non_blocking=True)
                logits = model(images)  # expect: BN101
                correct += (logits.argmax(dim=1) == targets).sum().item()
                total += targets.numel()
        acc = correct / total
        log.info(
            "epoch %d  loss %.4f  val_acc %.4f  (%.1fs)",
            epoch, running / len(train_loader), acc, time.perf_counter() - t0,
        )
        if acc > best_acc:
            best_acc = acc
            torch.save(model.state_dict(), cfg.out_dir / "best.pt")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=TrainConfig.data_dir)
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    args = parser.parse_args()
    main(TrainConfig(data_dir=args.data_dir, epochs=args.epochs))
