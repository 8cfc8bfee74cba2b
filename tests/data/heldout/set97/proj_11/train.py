"""Single-GPU SKU-classification pre-training of the shelf backbone.

    python train.py
"""
from __future__ import annotations

import csv
import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from rich.progress import BarColumn, Progress, TimeRemainingColumn
from torch.utils.data import DataLoader, Dataset
from torchmetrics.classification import MulticlassAccuracy
from torchvision.io import ImageReadMode, read_image
from torchvision.transforms import v2

from config import TRAIN_CFG, Paths
from model import ShelfBackbone

log = logging.getLogger("shelf")


class ShelfCrops(Dataset):
    def __init__(self, index: Path, root: Path, transform: v2.Transform) -> None:
        with index.open() as f:
            self.rows = [(root / r["path"], int(r["sku"])) for r in csv.DictReader(f)]
        self.transform = transform
        self.num_classes = 1 + max(label for _, label in self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, int]:
        path, label = self.rows[idx]
        return self.transform(read_image(str(path), ImageReadMode.RGB)), label


def main() -> None:
    paths = Paths()
    device = torch.device("cuda")
    amp_dtype = getattr(torch, TRAIN_CFG["amp_dtype"])
    norm = v2.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = v2.Compose([v2.RandomResizedCrop(1024, scale=(0.3, 1.0), antialias=True),
                           v2.ToDtype(torch.float32, scale=True), norm])
    val_tf = v2.Compose([v2.Resize(1024, antialias=True), v2.CenterCrop(1024),
                         v2.ToDtype(torch.float32, scale=True), norm])
    train_set = ShelfCrops(paths.train_index, paths.root, train_tf)
    val_set = ShelfCrops(paths.val_index, paths.root, val_tf)

    train_loader = DataLoader(train_set, batch_size=TRAIN_CFG["batch_size"], shuffle=True, num_workers=TRAIN_CFG["num_workers"], pin_memory=True, drop_last=True)  # expect: BN301
    val_loader = DataLoader(val_set, batch_size=16, num_workers=TRAIN_CFG["num_workers"])

    model = ShelfBackbone(train_set.num_classes).to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=TRAIN_CFG["lr"], weight_decay=TRAIN_CFG["weight_decay"])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=TRAIN_CFG["epochs"])
    metric = MulticlassAccuracy(num_classes=train_set.num_classes).to(device)
    paths.out_dir.mkdir(parents=True, exist_ok=True)

    columns = (*Progress.get_default_columns()[:-1], BarColumn(), TimeRemainingColumn())
    with Progress(*columns) as progress:
        epoch_task = progress.add_task("epochs", total=TRAIN_CFG["epochs"])
        for epoch in range(TRAIN_CFG["epochs"]):
            model.train()
            for images, labels in train_loader:
                images = images.to(device, non_blocking=True, memory_format=torch.channels_last)
                labels = labels.to(device, non_blocking=True)
                with torch.autocast("cuda", dtype=amp_dtype):
                    loss = F.cross_entropy(model(images), labels)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            scheduler.step()

            model.eval()
            metric.reset()
            with torch.inference_mode(), torch.autocast("cuda", dtype=amp_dtype):
                for images, labels in val_loader:
                    logits = model(images.to(device, memory_format=torch.channels_last))
                    metric.update(logits, labels.to(device))
            acc = metric.compute().item()
            progress.update(epoch_task, advance=1, description=f"epoch {epoch} acc={acc:.3f}")
            torch.save(model.state_dict(), paths.out_dir / f"epoch{epoch:03d}.pt")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
