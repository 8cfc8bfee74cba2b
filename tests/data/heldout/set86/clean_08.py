#!/usr/bin/env python3
"""Batch inference for the store-demand forecaster + optional ONNX export.

    python clean_08.py --ckpt models/demand_cnn_gru.pt --series data/stores/*.csv --out forecasts/
    python clean_08.py --ckpt models/demand_cnn_gru.pt --export models/demand.onnx
"""
import argparse
import glob
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class DemandForecaster(nn.Module):
    def __init__(self, n_features=6, conv_ch=32, hidden=64, horizon=28):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(n_features, conv_ch, kernel_size=7, padding=3, bias=False),
            nn.BatchNorm1d(conv_ch),
            nn.ReLU(),
            nn.Conv1d(conv_ch, conv_ch, kernel_size=7, padding=3, bias=False),
            nn.BatchNorm1d(conv_ch),
            nn.ReLU(),
        )
        self.gru = nn.GRU(conv_ch, hidden, batch_first=True)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, x):                       # (B, T, F)
        h = self.conv(x.transpose(1, 2))        # (B, C, T)
        out, _ = self.gru(h.transpose(1, 2))    # (B, T, H)
        return self.head(out[:, -1])            # (B, horizon)


class StoreSeries(Dataset):
    """One item per store CSV: the last `lookback` days of features."""

    def __init__(self, paths, lookback, stats):
        self.paths, self.lookback = paths, lookback
        self.mean = np.asarray(stats["mean"], dtype=np.float32)
        self.std = np.asarray(stats["std"], dtype=np.float32)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        df = pd.read_csv(self.paths[i], parse_dates=["date"]).sort_values("date")
        feats = df[["sales", "price", "promo", "dow", "holiday", "temp"]].to_numpy(np.float32)[-self.lookback:]
        feats = (feats - self.mean) / self.std
        return torch.from_numpy(feats), os.path.basename(self.paths[i])


def load_model(ckpt_path, device):
    ckpt = torch.load(ckpt_path, map_location=device)
    model = DemandForecaster(**ckpt["hparams"]).to(device)
    model.load_state_dict(ckpt["state_dict"])
    model.train(mode=False)
    return model, ckpt


@torch.no_grad()
def forecast(model, loader, device, sales_mean, sales_std):
    results = {}
    for x, names in loader:
        y = model(x.to(device)).cpu().numpy() * sales_std + sales_mean
        for name, row in zip(names, y):
            results[name] = np.clip(row, 0, None)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--series", nargs="*", default=[])
    ap.add_argument("--out", default="forecasts")
    ap.add_argument("--export", default=None)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model, ckpt = load_model(args.ckpt, device)
    stats, lookback = ckpt["stats"], ckpt["lookback"]

    if args.export:
        model.eval()
        dummy = torch.zeros(1, lookback, ckpt["hparams"]["n_features"], device=device)
        torch.onnx.export(model, dummy, args.export, input_names=["history"], output_names=["forecast"],
                          dynamic_axes={"history": {0: "batch"}, "forecast": {0: "batch"}})
        print("wrote", args.export)

    paths = sorted(p for pattern in args.series for p in glob.glob(pattern))
    if not paths:
        return
    # one store per batch keeps memory flat for very long histories; model is in eval mode
    loader = DataLoader(StoreSeries(paths, lookback, stats), batch_size=1, num_workers=2)
    preds = forecast(model, loader, device, stats["mean"][0], stats["std"][0])

    os.makedirs(args.out, exist_ok=True)
    horizon = ckpt["hparams"]["horizon"]
    frame = pd.DataFrame({name: vals for name, vals in preds.items()}, index=[f"d+{i + 1}" for i in range(horizon)])
    frame.to_csv(os.path.join(args.out, "forecast.csv"))
    print(f"forecast {len(preds)} stores x {horizon} days -> {args.out}/forecast.csv")


if __name__ == "__main__":
    main()
