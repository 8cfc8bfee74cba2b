"""Plant-disease classifier: frozen timm backbone + trainable MLP head.

The backbone is frozen *including* its BatchNorm statistics: after every
model.train() the backbone is put back into eval mode.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from rich.progress import Progress
from torch.utils.data import DataLoader
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score
from torchvision.datasets import ImageFolder
from torchvision.transforms import v2

log = logging.getLogger("plants")


@dataclass
class Settings:
    data: Path = Path("/data/plantvillage")
    backbone: str = "resnet50.a1_in1k"
    num_classes: int = 38
    batch_size: int = 96
    epochs: int = 15
    lr: float = 1e-3


class FrozenBackboneClassifier(nn.Module):
    def __init__(self, backbone_name: str, num_classes: int) -> None:
        super().__init__()
        self.backbone = timm.create_model(backbone_name, pretrained=True, num_classes=0)
        feat_dim = self.backbone.num_features
        self.head = nn.Sequential(
            nn.Linear(feat_dim, 512, bias=False),
            nn.BatchNorm1d(512),
            nn.GELU(),
            nn.Dropout(0.2),
            nn.Linear(512, num_classes),
        )
        self.backbone.requires_grad_(False)
        self.backbone.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            feats = self.backbone(x)
        return self.head(feats)


def train_one_epoch(model: FrozenBackboneClassifier, loader: DataLoader, opt: torch.optim.Optimizer,
                    device: torch.device, progress: Progress) -> float:
    model.train()
    model.backbone.eval()  # keep frozen BN statistics fixed
    task = progress.add_task("train", total=len(loader))
    total = 0.0
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            loss = F.cross_entropy(model(images), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item()
        progress.advance(task)
    progress.remove_task(task)
    return total / len(loader)


@torch.inference_mode()
def validate(model: nn.Module, loader: DataLoader, metrics: MetricCollection, device: torch.device) -> dict[str, float]:
    model.eval()
    metrics.reset()
    for images, labels in loader:
        metrics.update(model(images.to(device)), labels.to(device))
    return {k: v.item() for k, v in metrics.compute().items()}


def main(s: Settings = Settings()) -> None:
    device = torch.device("cuda")
    model = FrozenBackboneClassifier(s.backbone, s.num_classes).to(device)
    data_cfg = timm.data.resolve_data_config({}, model=model.backbone)
    norm = v2.Normalize(data_cfg["mean"], data_cfg["std"])
    size = data_cfg["input_size"][-1]
    train_tf = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(size, antialias=True), v2.RandomHorizontalFlip(),
                           v2.ToDtype(torch.float32, scale=True), norm])
    val_tf = v2.Compose([v2.ToImage(), v2.Resize(size, antialias=True), v2.CenterCrop(size),
                         v2.ToDtype(torch.float32, scale=True), norm])
    train_loader = DataLoader(ImageFolder(s.data / "train", train_tf), batch_size=s.batch_size,
                              shuffle=True, num_workers=8, drop_last=True, pin_memory=True)
    val_loader = DataLoader(ImageFolder(s.data / "val", val_tf), batch_size=256, num_workers=8)

    opt = torch.optim.AdamW(model.head.parameters(), lr=s.lr, weight_decay=1e-4)
    metrics = MetricCollection({
        "acc": MulticlassAccuracy(num_classes=s.num_classes),
        "f1": MulticlassF1Score(num_classes=s.num_classes, average="macro"),
    }).to(device)

    with Progress(transient=True) as progress:
        for epoch in range(s.epochs):
            loss = train_one_epoch(model, train_loader, opt, device, progress)
            scores = validate(model, val_loader, metrics, device)
            log.info("epoch %d loss %.4f acc %.4f f1 %.4f", epoch, loss, scores["acc"], scores["f1"])
    torch.save(model.head.state_dict(), "plant_head.pt")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
