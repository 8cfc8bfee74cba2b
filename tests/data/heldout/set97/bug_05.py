"""Linear-probe evaluation of a self-supervised ResNet-style backbone.

The backbone weights come from our SimCLR run; only the linear head is trained.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from rich.progress import Progress
from torch.utils.data import DataLoader
from torchmetrics.classification import MulticlassAccuracy
from torchvision.datasets import ImageFolder
from torchvision.transforms import v2

log = logging.getLogger("linear_probe")


@dataclass(frozen=True)
class ProbeConfig:
    train_dir: Path = Path("/data/imagenet100/train")
    val_dir: Path = Path("/data/imagenet100/val")
    pretrained: Path = Path("runs/simclr/backbone_final.pt")
    out: Path = Path("runs/linear_probe")
    num_classes: int = 100
    epochs: int = 90
    batch_size: int = 256
    lr: float = 0.1
    workers: int = 10


class BasicBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride, bias=False),
                nn.BatchNorm2d(out_ch),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x), inplace=True)


class Backbone(nn.Module):
    out_dim = 512

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, 3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        self.layers = nn.Sequential(
            BasicBlock(64, 64), BasicBlock(64, 64),
            BasicBlock(64, 128, 2), BasicBlock(128, 128),
            BasicBlock(128, 256, 2), BasicBlock(256, 256),
            BasicBlock(256, 512, 2), BasicBlock(512, 512),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.layers(self.stem(x))).flatten(1)


class LinearProbe(nn.Module):
    def __init__(self, backbone: Backbone, num_classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.out_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def prepare_for_serving(model: nn.Module) -> nn.Module:
    model.training = False  # expect: BN102
    return model.to(memory_format=torch.channels_last)


@torch.inference_mode()
def evaluate(model: nn.Module, loader: DataLoader, metric: MulticlassAccuracy, device: torch.device) -> float:
    model.eval()
    metric.reset()
    for images, targets in loader:
        logits = model(images.to(device, non_blocking=True))
        metric.update(logits, targets.to(device))
    return metric.compute().item()


def main(cfg: ProbeConfig = ProbeConfig()) -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    norm = v2.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train_tf = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(224, antialias=True),
                           v2.RandomHorizontalFlip(), v2.ToDtype(torch.float32, scale=True), norm])
    val_tf = v2.Compose([v2.ToImage(), v2.Resize(256, antialias=True), v2.CenterCrop(224),
                         v2.ToDtype(torch.float32, scale=True), norm])
    train_loader = DataLoader(ImageFolder(cfg.train_dir, train_tf), batch_size=cfg.batch_size,
                              shuffle=True, num_workers=cfg.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(ImageFolder(cfg.val_dir, val_tf), batch_size=cfg.batch_size,
                            num_workers=cfg.workers, pin_memory=True)

    backbone = Backbone()
    backbone.load_state_dict(torch.load(cfg.pretrained, map_location="cpu", weights_only=True))
    model = LinearProbe(backbone, cfg.num_classes).to(device)
    model.backbone.requires_grad_(False)  # expect: BN105

    optimizer = torch.optim.SGD(model.head.parameters(), lr=cfg.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    metric = MulticlassAccuracy(num_classes=cfg.num_classes).to(device)

    with Progress() as progress:
        task = progress.add_task("linear probe", total=cfg.epochs)
        for epoch in range(cfg.epochs):
            model.train()
            for images, targets in train_loader:
                images = images.to(device, non_blocking=True)
                targets = targets.to(device, non_blocking=True)
                with torch.autocast(device.type, dtype=torch.bfloat16):
                    loss = F.cross_entropy(model(images), targets)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            scheduler.step()
            top1 = evaluate(model, val_loader, metric, device)
            progress.update(task, advance=1, description=f"epoch {epoch} top1={top1:.3f}")

    cfg.out.mkdir(parents=True, exist_ok=True)
    serving = prepare_for_serving(model)
    torch.save(serving.state_dict(), cfg.out / "probe_final.pt")
    log.info("final top-1 %.4f", top1)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
