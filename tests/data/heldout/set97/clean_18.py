"""Chest X-ray multi-label classifier as a LightningModule.

Lightning switches the module to eval mode for validation/test/predict and
back to train mode afterwards, so the *_step methods just call self(x).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch.callbacks import ModelCheckpoint, RichProgressBar
from torch.utils.data import DataLoader, Dataset
from torchmetrics.classification import MultilabelAUROC
from torchvision.io import ImageReadMode, read_image
from torchvision.transforms import v2

NUM_FINDINGS = 14


class CXRDataset(Dataset):
    def __init__(self, csv_path: Path, image_root: Path, train: bool) -> None:
        lines = csv_path.read_text().splitlines()[1:]
        self.items = [(image_root / ln.split(",")[0], [int(v) for v in ln.split(",")[1:]]) for ln in lines]
        aug = [v2.RandomResizedCrop(320, scale=(0.8, 1.0), antialias=True), v2.RandomRotation(7)] if train else \
              [v2.Resize(320, antialias=True), v2.CenterCrop(320)]
        self.tf = v2.Compose([*aug, v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5], [0.25])])

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        path, labels = self.items[i]
        return self.tf(read_image(str(path), ImageReadMode.GRAY)), torch.tensor(labels, dtype=torch.float32)


class DenseLayer(nn.Module):
    def __init__(self, in_ch: int, growth: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.conv1 = nn.Conv2d(in_ch, 4 * growth, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(4 * growth)
        self.conv2 = nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        return torch.cat([x, out], dim=1)


class CXRNet(L.LightningModule):
    def __init__(self, growth: int = 32, blocks: tuple[int, ...] = (6, 12, 24), lr: float = 3e-4) -> None:
        super().__init__()
        self.save_hyperparameters()
        layers: list[nn.Module] = [nn.Conv2d(1, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
        ch = 64
        for i, n in enumerate(blocks):
            for _ in range(n):
                layers.append(DenseLayer(ch, growth))
                ch += growth
            if i < len(blocks) - 1:
                layers += [nn.BatchNorm2d(ch), nn.ReLU(), nn.Conv2d(ch, ch // 2, 1, bias=False), nn.AvgPool2d(2)]
                ch //= 2
        layers += [nn.BatchNorm2d(ch), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(ch, NUM_FINDINGS)
        self.val_auc = MultilabelAUROC(num_labels=NUM_FINDINGS)
        self.test_auc = MultilabelAUROC(num_labels=NUM_FINDINGS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = F.binary_cross_entropy_with_logits(self(x), y)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.log("val/loss", F.binary_cross_entropy_with_logits(logits, y), sync_dist=True)
        self.val_auc.update(logits.sigmoid(), y.long())

    def on_validation_epoch_end(self) -> None:
        self.log("val/auroc", self.val_auc.compute(), prog_bar=True)
        self.val_auc.reset()

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        self.test_auc.update(self(x).sigmoid(), y.long())

    def on_test_epoch_end(self) -> None:
        self.log("test/auroc", self.test_auc.compute())

    def predict_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, _ = batch
        return self(x).sigmoid()

    def configure_optimizers(self) -> dict[str, Any]:
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return {"optimizer": opt, "lr_scheduler": sched}


def main(root: Path = Path("/data/chexpert_small")) -> None:
    train_dl = DataLoader(CXRDataset(root / "train.csv", root, train=True), batch_size=32, shuffle=True,
                          num_workers=8, drop_last=True, persistent_workers=True)
    val_dl = DataLoader(CXRDataset(root / "valid.csv", root, train=False), batch_size=64, num_workers=8)
    model = CXRNet()
    trainer = L.Trainer(
        max_epochs=20, accelerator="gpu", devices=1, precision="bf16-mixed",
        callbacks=[RichProgressBar(), ModelCheckpoint(monitor="val/auroc", mode="max")],
    )
    trainer.fit(model, train_dl, val_dl)
    trainer.test(model, val_dl, ckpt_path="best")
    preds = trainer.predict(model, val_dl)
    torch.save(torch.cat(preds), "cxr_val_probs.pt")


if __name__ == "__main__":
    main()
