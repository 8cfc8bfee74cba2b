"""Lightning fine-tuning of a timm EfficientNet-B2 on a folder dataset + batch prediction to CSV."""
import argparse
import csv
from pathlib import Path

import lightning as L
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint
from torch.utils.data import DataLoader, Dataset
from torchmetrics.classification import MulticlassAccuracy
from torchvision import datasets
from timm.data import create_transform, resolve_model_data_config
from PIL import Image


class UnlabeledFolder(Dataset):
    def __init__(self, root, transform):
        self.paths = sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
        self.transform = transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.transform(Image.open(self.paths[i]).convert("RGB")), str(self.paths[i])


class FineTuner(L.LightningModule):
    def __init__(self, arch="efficientnet_b2", num_classes=10, lr=1e-3, backbone_lr_mult=0.1, epochs=20):
        super().__init__()
        self.save_hyperparameters()
        self.model = timm.create_model(arch, pretrained=True, num_classes=num_classes, drop_rate=0.3)
        self.val_acc = MulticlassAccuracy(num_classes=num_classes)
        self.test_acc = MulticlassAccuracy(num_classes=num_classes)

    def forward(self, x):
        return self.model(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_acc(logits.argmax(1), y)
        self.log("val/loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val/acc", self.val_acc, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_acc(self(x).argmax(1), y)
        self.log("test/acc", self.test_acc)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x, paths = batch
        probs = self(x).softmax(-1)
        return list(zip(paths, probs.argmax(-1).tolist(), probs.max(-1).values.tolist()))

    def configure_optimizers(self):
        head = self.model.get_classifier()
        head_ids = {id(p) for p in head.parameters()}
        body = [p for p in self.model.parameters() if id(p) not in head_ids]
        opt = torch.optim.AdamW([
            {"params": body, "lr": self.hparams.lr * self.hparams.backbone_lr_mult},
            {"params": head.parameters(), "lr": self.hparams.lr},
        ], weight_decay=0.02)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.hparams.epochs)
        return {"optimizer": opt, "lr_scheduler": sched}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--predict-dir", type=Path)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=48)
    args = ap.parse_args()

    train_dir = args.data / "train"
    num_classes = len(datasets.ImageFolder(train_dir).classes)
    module = FineTuner(num_classes=num_classes, epochs=args.epochs)
    cfg = resolve_model_data_config(module.model)
    train_tf = create_transform(**cfg, is_training=True, auto_augment="rand-m7-mstd0.5")
    eval_tf = create_transform(**cfg)

    train_ds = datasets.ImageFolder(train_dir, train_tf)
    val_ds = datasets.ImageFolder(args.data / "val", eval_tf)
    train_dl = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=args.batch_size * 2, num_workers=8)

    trainer = L.Trainer(
        max_epochs=args.epochs, accelerator="auto", precision="16-mixed",
        callbacks=[ModelCheckpoint(monitor="val/acc", mode="max"), EarlyStopping("val/acc", mode="max", patience=5),
                   LearningRateMonitor()],
    )
    trainer.fit(module, train_dl, val_dl)
    trainer.test(module, val_dl, ckpt_path="best")

    if args.predict_dir:
        pred_dl = DataLoader(UnlabeledFolder(args.predict_dir, eval_tf), batch_size=64, num_workers=8)
        rows = trainer.predict(module, pred_dl, ckpt_path="best")
        with open("predictions.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["path", "class", "confidence"])
            for batch_rows in rows:
                for path, cls, conf in batch_rows:
                    w.writerow([path, train_ds.classes[cls], f"{conf:.4f}"])


if __name__ == "__main__":
    main()
