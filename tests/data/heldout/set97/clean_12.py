"""Food-101 fine-tuning with torch.compile, fp16 AMP (GradScaler) and channels_last."""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from rich.progress import Progress
from torch.utils.data import DataLoader
from torchvision.datasets import Food101
from torchvision.transforms import v2

log = logging.getLogger("food101")


@dataclass
class Cfg:
    root: Path = Path("./data")
    epochs: int = 40
    batch_size: int = 128
    lr: float = 1e-3
    label_smoothing: float = 0.1
    workers: int = 8


class SqueezeExcite(nn.Module):
    def __init__(self, ch: int, rd: int = 4) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(ch, ch // rd, 1)
        self.fc2 = nn.Conv2d(ch // rd, ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.fc2(F.silu(self.fc1(s))))


class MBConv(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int, expand: int = 4) -> None:
        super().__init__()
        mid = in_ch * expand
        self.use_res = stride == 1 and in_ch == out_ch
        self.block = nn.Sequential(
            nn.Conv2d(in_ch, mid, 1, bias=False),
            nn.BatchNorm2d(mid),
            nn.SiLU(inplace=True),
            nn.Conv2d(mid, mid, 3, stride=stride, padding=1, groups=mid, bias=False),
            nn.BatchNorm2d(mid),
            nn.SiLU(inplace=True),
            SqueezeExcite(mid),
            nn.Conv2d(mid, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return x + out if self.use_res else out


class EffNetTiny(nn.Module):
    def __init__(self, num_classes: int = 101) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.SiLU(inplace=True))
        self.blocks = nn.Sequential(
            MBConv(32, 48, 2), MBConv(48, 48, 1),
            MBConv(48, 96, 2), MBConv(96, 96, 1),
            MBConv(96, 192, 2), MBConv(192, 192, 1),
        )
        self.head = nn.Sequential(nn.Conv2d(192, 640, 1, bias=False), nn.BatchNorm2d(640), nn.SiLU(inplace=True))
        self.classifier = nn.Linear(640, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.blocks(self.stem(x)))
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


@torch.inference_mode()
def evaluate(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
    model.eval()
    correct = total = 0
    for images, targets in loader:
        images = images.to(device, non_blocking=True, memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.float16):
            logits = model(images)
        correct += (logits.argmax(1).cpu() == targets).sum().item()
        total += targets.numel()
    return correct / total


def main(cfg: Cfg) -> None:
    device = torch.device("cuda")
    norm = v2.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(192, antialias=True), v2.RandomHorizontalFlip(),
                           v2.TrivialAugmentWide(), v2.ToDtype(torch.float32, scale=True), norm])
    test_tf = v2.Compose([v2.ToImage(), v2.Resize(224, antialias=True), v2.CenterCrop(192),
                          v2.ToDtype(torch.float32, scale=True), norm])
    train_loader = DataLoader(Food101(str(cfg.root), "train", transform=train_tf, download=True),
                              batch_size=cfg.batch_size, shuffle=True, num_workers=cfg.workers,
                              pin_memory=True, drop_last=True, persistent_workers=True)
    test_loader = DataLoader(Food101(str(cfg.root), "test", transform=test_tf, download=True),
                             batch_size=256, num_workers=cfg.workers, pin_memory=True)

    model = EffNetTiny().to(device, memory_format=torch.channels_last)
    model = torch.compile(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, cfg.lr, epochs=cfg.epochs,
                                                    steps_per_epoch=len(train_loader))
    scaler = torch.amp.GradScaler("cuda")

    with Progress() as progress:
        task = progress.add_task("training", total=cfg.epochs * len(train_loader))
        for epoch in range(cfg.epochs):
            model.train()
            hits = seen = 0
            for images, targets in train_loader:
                images = images.to(device, non_blocking=True, memory_format=torch.channels_last)
                targets = targets.to(device, non_blocking=True)
                with torch.autocast("cuda", dtype=torch.float16):
                    logits = model(images)
                    loss = F.cross_entropy(logits, targets, label_smoothing=cfg.label_smoothing)
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                hits += (logits.detach().argmax(1) == targets).sum().item()
                seen += targets.numel()
                progress.advance(task)
            test_acc = evaluate(model, test_loader, device)
            log.info("epoch %d train_acc %.4f test_acc %.4f", epoch, hits / seen, test_acc)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=Cfg.epochs)
    ap.add_argument("--batch-size", type=int, default=Cfg.batch_size)
    a = ap.parse_args()
    main(Cfg(epochs=a.epochs, batch_size=a.batch_size))
