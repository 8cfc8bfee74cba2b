"""Sleep staging from single-channel EEG (Sleep-EDF Fpz-Cz, 30 s epochs at 100 Hz)
with PyTorch Lightning.
"""
import argparse

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchmetrics
from torch.utils.data import DataLoader, TensorDataset

STAGES = ["W", "N1", "N2", "N3", "REM"]


def conv_bn_relu(c_in, c_out, k, stride=1):
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False),
        nn.BatchNorm1d(c_out, momentum=0.01),
        nn.ReLU(inplace=True),
    )


class SleepStager(pl.LightningModule):
    def __init__(self, lr=1e-3, batch_size=32, data_path="data/sleepedf_fpz.npz"):
        super().__init__()
        self.save_hyperparameters()
        self.small = nn.Sequential(conv_bn_relu(1, 64, 50, stride=6), nn.MaxPool1d(8),
                                   conv_bn_relu(64, 128, 8), conv_bn_relu(128, 128, 8), nn.MaxPool1d(4))
        self.large = nn.Sequential(conv_bn_relu(1, 64, 400, stride=50), nn.MaxPool1d(4),
                                   conv_bn_relu(64, 128, 6), conv_bn_relu(128, 128, 6), nn.MaxPool1d(2))
        self.dropout = nn.Dropout(0.5)
        self.classifier = nn.LazyLinear(len(STAGES))
        self.val_f1 = torchmetrics.F1Score(task="multiclass", num_classes=len(STAGES), average="macro")
        self.test_f1 = torchmetrics.F1Score(task="multiclass", num_classes=len(STAGES), average="macro")

    def forward(self, x):                     # x: (B, 1, 3000)
        a = self.small(x).flatten(1)
        b = self.large(x).flatten(1)
        return self.classifier(self.dropout(torch.cat([a, b], dim=1)))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_f1(logits.argmax(1), y)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.log("val_f1", self.val_f1, prog_bar=True)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.test_f1(self(x).argmax(1), y)
        self.log("test_f1", self.test_f1)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x = batch[0]
        return self(x).softmax(-1)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr, weight_decay=1e-3)

    def setup(self, stage=None):
        data = np.load(self.hparams.data_path)
        x = torch.from_numpy(data["x"].astype(np.float32)).unsqueeze(1)
        y = torch.from_numpy(data["y"].astype(np.int64))
        subj = data["subject"]
        test_mask = torch.from_numpy(np.isin(subj, [0, 1]))
        val_mask = torch.from_numpy(np.isin(subj, [2, 3]))
        train_mask = ~(test_mask | val_mask)
        self.train_set = TensorDataset(x[train_mask], y[train_mask])
        self.val_set = TensorDataset(x[val_mask], y[val_mask])
        self.test_set = TensorDataset(x[test_mask], y[test_mask])

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.hparams.batch_size, shuffle=True, num_workers=4)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=256, num_workers=4)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=256, num_workers=4)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    pl.seed_everything(0)
    model = SleepStager(lr=args.lr, batch_size=args.batch_size)
    trainer = pl.Trainer(max_epochs=args.epochs, accelerator="auto", devices=1,
                         callbacks=[pl.callbacks.ModelCheckpoint(monitor="val_f1", mode="max")])
    trainer.fit(model)
    trainer.test(model, ckpt_path="best")
