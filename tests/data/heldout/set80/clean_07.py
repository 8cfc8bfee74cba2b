"""PyTorch Lightning module for tabular regression with a BatchNorm MLP."""
import argparse

import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, random_split


def mlp_block(in_f, out_f, p=0.1):
    return nn.Sequential(nn.Linear(in_f, out_f, bias=False), nn.BatchNorm1d(out_f), nn.SiLU(), nn.Dropout(p))


class TabularRegressor(pl.LightningModule):
    def __init__(self, n_features=54, hidden=(256, 128, 64), lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.input_bn = nn.BatchNorm1d(n_features)
        dims = [n_features, *hidden]
        self.blocks = nn.Sequential(*[mlp_block(a, b) for a, b in zip(dims[:-1], dims[1:])])
        self.out = nn.Linear(hidden[-1], 1)

    def forward(self, x):
        return self.out(self.blocks(self.input_bn(x))).squeeze(-1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.smooth_l1_loss(self(x), y)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        pred = self(x)
        self.log("val/mae", (pred - y).abs().mean(), prog_bar=True)
        self.log("val/rmse", F.mse_loss(pred, y).sqrt())

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test/mae", (self(x) - y).abs().mean())

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        return self(x)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=3)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val/mae"}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--data", default="features.pt")
    args = parser.parse_args()

    x, y = torch.load(args.data)
    dataset = torch.utils.data.TensorDataset(x.float(), y.float())
    n_val = len(dataset) // 10
    train_ds, val_ds = random_split(dataset, [len(dataset) - n_val, n_val])
    train_dl = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=4)
    val_dl = DataLoader(val_ds, batch_size=args.batch_size * 2, num_workers=4)

    model = TabularRegressor(n_features=x.shape[1])
    trainer = pl.Trainer(max_epochs=args.max_epochs, accelerator="auto", log_every_n_steps=20)
    trainer.fit(model, train_dl, val_dl)
    trainer.test(model, val_dl)


if __name__ == "__main__":
    main()
