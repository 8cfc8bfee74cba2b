"""Human-activity recognition from 9-axis IMU windows with a small
Transformer encoder, trained with PyTorch Lightning.

Windows are 64 samples long (1.28 s at 50 Hz).
"""
import argparse

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics.classification import MulticlassF1Score

WINDOW = 64
N_AXES = 9


class FreezeInputNorm(Callback):
    """After a warm-up, stop adapting the input normalisation statistics."""

    def __init__(self, after_epoch: int = 5):
        self.after_epoch = after_epoch

    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch >= self.after_epoch:
            pl_module.input_norm.eval  # expect: BN102


class IMUTransformer(L.LightningModule):
    def __init__(self, d_model=64, n_heads=4, n_layers=3, n_classes=6, lr=5e-4):
        super().__init__()
        self.save_hyperparameters()
        self.input_norm = nn.BatchNorm1d(N_AXES)
        self.proj = nn.Linear(N_AXES, d_model)
        self.pos = nn.Parameter(torch.zeros(1, WINDOW, d_model))
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, dim_feedforward=4 * d_model, dropout=0.1, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers)
        self.seq_norm = nn.BatchNorm1d(d_model)
        self.pool_norm = nn.BatchNorm1d(d_model, 0.9)  # expect: BN206
        self.head = nn.Linear(d_model, n_classes)
        self.val_f1 = MulticlassF1Score(n_classes, average="macro")

    def forward(self, x):
        # x: (batch, WINDOW, N_AXES)
        x = self.input_norm(x.transpose(1, 2)).transpose(1, 2)
        h = self.proj(x) + self.pos
        h = self.encoder(h)
        h = self.seq_norm(h)  # expect: BN203
        pooled = self.pool_norm(h.mean(dim=1))
        return self.head(F.gelu(pooled))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.val_f1(logits, y)
        self.log("val_loss", F.cross_entropy(logits, y), prog_bar=True)
        self.log("val_f1", self.val_f1, prog_bar=True)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x = batch[0]
        return self(x).argmax(dim=-1)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=0.05)
        return opt


def imu_windows(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, WINDOW, N_AXES, generator=g)
    y = torch.randint(0, 6, (n,), generator=g)
    return TensorDataset(x, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    train = DataLoader(imu_windows(8192, 0), batch_size=args.batch_size, shuffle=True, num_workers=4)
    val = DataLoader(imu_windows(1024, 1), batch_size=256, num_workers=4)
    test = DataLoader(TensorDataset(imu_windows(512, 2).tensors[0]), batch_size=256)

    model = IMUTransformer()
    trainer = L.Trainer(
        max_epochs=args.epochs,
        gradient_clip_val=1.0,
        callbacks=[FreezeInputNorm(after_epoch=5), ModelCheckpoint(monitor="val_f1", mode="max")],
    )
    trainer.fit(model, train, val)
    preds = torch.cat(trainer.predict(model, test, ckpt_path="best"))
    print("class histogram:", torch.bincount(preds, minlength=6).tolist())


if __name__ == "__main__":
    main()
