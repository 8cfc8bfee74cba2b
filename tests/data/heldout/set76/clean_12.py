#!/usr/bin/env python3
"""Batch inference with Lightning's Trainer.predict for the crop-type model.

The LightningModule is restored from a checkpoint and Trainer.predict drives
inference (it switches the module to eval mode and disables gradients).
Predictions are gathered and written to a GeoJSON-friendly CSV.
"""
import argparse
import csv

import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from croptype.data import ParcelTimeSeries  # (B, T, bands) per-parcel reflectance series

CROPS = ["wheat", "barley", "maize", "rapeseed", "sugar_beet", "potato", "grassland", "other"]


class TempCNN(L.LightningModule):
    def __init__(self, bands=10, hidden=64, num_classes=len(CROPS), lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.features = nn.Sequential(
            nn.Conv1d(bands, hidden, 5, padding=2, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Conv1d(hidden, hidden, 5, padding=2, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Conv1d(hidden, hidden, 5, padding=2, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(hidden, num_classes)

    def forward(self, x):                      # x: (B, T, bands)
        h = self.features(x.transpose(1, 2))   # -> (B, hidden, T)
        return self.classifier(h.mean(dim=2))

    def training_step(self, batch, batch_idx):
        x, y = batch["series"], batch["label"]
        loss = F.cross_entropy(self(x), y)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch["series"], batch["label"]
        acc = (self(x).argmax(1) == y).float().mean()
        self.log("val/acc", acc, prog_bar=True)

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        probs = self(batch["series"]).softmax(dim=1)
        conf, idx = probs.max(dim=1)
        return {"parcel_id": batch["parcel_id"], "crop": idx, "confidence": conf}

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--parcels", required=True, help="parquet of parcel time series")
    p.add_argument("--out", default="crop_predictions.csv")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--devices", default="auto")
    args = p.parse_args()

    model = TempCNN.load_from_checkpoint(args.checkpoint, map_location="cpu")
    loader = DataLoader(ParcelTimeSeries(args.parcels, with_labels=False),
                        batch_size=args.batch_size, shuffle=False, num_workers=8)
    trainer = L.Trainer(accelerator="auto", devices=args.devices, logger=False,
                        enable_checkpointing=False, enable_progress_bar=True)
    batches = trainer.predict(model, dataloaders=loader)

    n = 0
    with open(args.out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["parcel_id", "crop", "confidence"])
        for b in batches:
            for pid, c, conf in zip(b["parcel_id"], b["crop"].tolist(), b["confidence"].tolist()):
                w.writerow([pid, CROPS[c], f"{conf:.4f}"])
                n += 1
    print(f"wrote {n} predictions to {args.out}")


if __name__ == "__main__":
    main()
