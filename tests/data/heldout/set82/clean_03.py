"""12-lead ECG multi-label classification on PTB-XL with PyTorch Lightning.

    python clean_03.py --data /data/ptbxl_500hz.npz --max_epochs 50
"""
from argparse import ArgumentParser

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics.classification import MultilabelAUROC

SUPERCLASSES = ["NORM", "MI", "STTC", "CD", "HYP"]


class ResBlock1d(nn.Module):
    def __init__(self, channels, kernel=15, dilation=1):
        super().__init__()
        pad = dilation * (kernel // 2)
        self.conv1 = nn.Conv1d(channels, channels, kernel, padding=pad, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, kernel, padding=pad, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm1d(channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(x + y)


class ECGNet(pl.LightningModule):
    def __init__(self, leads=12, width=64, n_classes=len(SUPERCLASSES), lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.stem = nn.Sequential(
            nn.Conv1d(leads, width, 15, stride=2, padding=7, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(),
            nn.MaxPool1d(2),
        )
        self.blocks = nn.Sequential(*[ResBlock1d(width, dilation=d) for d in (1, 2, 4, 8)])
        self.head = nn.Linear(2 * width, n_classes)
        self.val_auroc = MultilabelAUROC(num_labels=n_classes)
        self.test_auroc = MultilabelAUROC(num_labels=n_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        x = torch.cat([x.mean(-1), x.amax(-1)], dim=1)
        return self.head(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.binary_cross_entropy_with_logits(self(x), y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.binary_cross_entropy_with_logits(logits, y), prog_bar=True)
        self.val_auroc.update(torch.sigmoid(logits), y.int())

    def on_validation_epoch_end(self):
        self.log("val_auroc", self.val_auroc.compute(), prog_bar=True)
        self.val_auroc.reset()

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_auroc.update(torch.sigmoid(self(x)), y.int())

    def on_test_epoch_end(self):
        self.log("test_auroc", self.test_auroc.compute())
        self.test_auroc.reset()

    def predict_step(self, batch, batch_idx):
        x = batch[0]
        return torch.sigmoid(self(x))

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-2)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.3, patience=3)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val_loss"}}


class PTBXLData(pl.LightningDataModule):
    def __init__(self, path, batch_size=64):
        super().__init__()
        self.path, self.batch_size = path, batch_size

    def setup(self, stage=None):
        d = np.load(self.path)
        mk = lambda k: TensorDataset(torch.from_numpy(d[f"X_{k}"]).float(), torch.from_numpy(d[f"y_{k}"]).float())
        self.train_ds, self.val_ds, self.test_ds = mk("train"), mk("val"), mk("test")

    def train_dataloader(self):
        return DataLoader(self.train_ds, batch_size=self.batch_size, shuffle=True, num_workers=4, drop_last=True)

    def val_dataloader(self):
        return DataLoader(self.val_ds, batch_size=256, num_workers=4)

    def test_dataloader(self):
        return DataLoader(self.test_ds, batch_size=256, num_workers=4)

    def predict_dataloader(self):
        return DataLoader(TensorDataset(self.test_ds.tensors[0]), batch_size=256)


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("--data", default="ptbxl_500hz.npz")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--max_epochs", type=int, default=50)
    args = parser.parse_args()

    pl.seed_everything(7)
    dm = PTBXLData(args.data, args.batch_size)
    model = ECGNet()
    trainer = pl.Trainer(
        max_epochs=args.max_epochs,
        accelerator="auto",
        callbacks=[ModelCheckpoint(monitor="val_auroc", mode="max"),
                   EarlyStopping(monitor="val_auroc", mode="max", patience=8)],
    )
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm, ckpt_path="best")
    preds = torch.cat(trainer.predict(model, datamodule=dm, ckpt_path="best"))
    np.save("ptbxl_test_probs.npy", preds.numpy())
