"""12-lead ECG rhythm classification with PyTorch Lightning (1-D ResNet)."""
import argparse

import lightning as L
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics.classification import MultilabelAUROC


class ResBlock1d(nn.Module):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.conv1 = nn.Conv1d(in_ch, out_ch, 15, stride=stride, padding=7, bias=False)
        self.bn1 = nn.BatchNorm1d(out_ch)
        self.conv2 = nn.Conv1d(out_ch, out_ch, 15, padding=7, bias=False)
        self.bn2 = nn.BatchNorm1d(out_ch)
        self.short = nn.Sequential(nn.Conv1d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm1d(out_ch))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(F.dropout(h, 0.2, self.training)))
        return F.relu(h + self.short(x))


class ECGClassifier(L.LightningModule):
    def __init__(self, num_labels=27, leads=12, widths=(64, 128, 196, 256, 320), lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        layers = [nn.Conv1d(leads, widths[0], 15, padding=7, bias=False), nn.BatchNorm1d(widths[0]), nn.ReLU()]
        prev = widths[0]
        for w in widths:
            layers.append(ResBlock1d(prev, w, stride=4 if w != widths[0] else 1))
            prev = w
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Linear(prev, num_labels)
        self.val_auroc = MultilabelAUROC(num_labels=num_labels)
        self.test_auroc = MultilabelAUROC(num_labels=num_labels)

    def forward(self, x):                         # x: (N, leads, samples)
        return self.head(self.backbone(x).mean(-1))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.binary_cross_entropy_with_logits(self(x), y)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val/loss", F.binary_cross_entropy_with_logits(logits, y), sync_dist=True)
        self.val_auroc.update(torch.sigmoid(logits), y.int())

    def on_validation_epoch_end(self):
        self.log("val/auroc", self.val_auroc.compute(), prog_bar=True)
        self.val_auroc.reset()

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_auroc.update(torch.sigmoid(self(x)), y.int())

    def on_test_epoch_end(self):
        self.log("test/auroc", self.test_auroc.compute())
        self.test_auroc.reset()

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x = batch[0]
        return torch.sigmoid(self(x))

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-2)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return {"optimizer": opt, "lr_scheduler": sched}


class ECGDataModule(L.LightningDataModule):
    def __init__(self, npz_path: str, batch_size: int = 64):
        super().__init__()
        self.npz_path, self.batch_size = npz_path, batch_size

    def setup(self, stage=None):
        raw = np.load(self.npz_path)
        make = lambda split: TensorDataset(torch.from_numpy(raw[f"x_{split}"]).float(),
                                           torch.from_numpy(raw[f"y_{split}"]).float())
        self.train_ds, self.val_ds, self.test_ds = make("train"), make("val"), make("test")

    def train_dataloader(self):
        return DataLoader(self.train_ds, batch_size=self.batch_size, shuffle=True, num_workers=4, drop_last=True)

    def val_dataloader(self):
        return DataLoader(self.val_ds, batch_size=256, num_workers=4)

    def test_dataloader(self):
        return DataLoader(self.test_ds, batch_size=256, num_workers=4)

    def predict_dataloader(self):
        return DataLoader(TensorDataset(self.test_ds.tensors[0]), batch_size=256)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/ptbxl_500hz.npz")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    L.seed_everything(42)
    dm = ECGDataModule(args.data, args.batch_size)
    model = ECGClassifier()
    trainer = L.Trainer(
        max_epochs=args.epochs, accelerator="auto", precision="16-mixed", gradient_clip_val=1.0,
        callbacks=[
            ModelCheckpoint(monitor="val/auroc", mode="max"),
            EarlyStopping(monitor="val/auroc", mode="max", patience=8),
            LearningRateMonitor(),
        ],
    )
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm, ckpt_path="best")
    probs = torch.cat(trainer.predict(model, datamodule=dm, ckpt_path="best"))
    np.save("test_probabilities.npy", probs.numpy())


if __name__ == "__main__":
    main()
