#!/usr/bin/env python
"""Predict next-day close from a window of OHLCV features with a stacked LSTM.

    python bug_03.py --csv data/AAPL.csv --window 30 --epochs 50
"""
import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

FEATURES = ["Open", "High", "Low", "Close", "Volume"]


class StockWindows(Dataset):
    def __init__(self, frame, window, mean=None, std=None):
        values = frame[FEATURES].to_numpy(dtype=np.float32)
        self.mean = values.mean(0) if mean is None else mean
        self.std = values.std(0) + 1e-6 if std is None else std
        self.values = (values - self.mean) / self.std
        self.window = window

    def __len__(self):
        return len(self.values) - self.window

    def __getitem__(self, i):
        x = self.values[i:i + self.window]
        y = self.values[i + self.window, FEATURES.index("Close")]
        return torch.from_numpy(x), torch.tensor([y])


class LSTMRegressor(nn.Module):
    def __init__(self, n_features, hidden_size=128, num_layers=2, dropout=0.2):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout)
        self.bn = nn.BatchNorm1d(hidden_size)
        self.head = nn.Sequential(nn.Linear(hidden_size, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        out, (h_n, c_n) = self.lstm(x)  # out: (batch, window, hidden)
        out = self.bn(out)  # expect: BN203
        return self.head(out[:, -1, :])


def run_epoch(model, loader, criterion, device, optimizer=None):
    training = optimizer is not None
    model.train(training)
    losses = []
    with torch.set_grad_enabled(training):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            pred = model(x)
            loss = criterion(pred, y)
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            losses.append(loss.item())
    return float(np.mean(losses))


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--csv", type=Path, required=True)
    p.add_argument("--window", type=int, default=30)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--val-frac", type=float, default=0.2)
    p.add_argument("--out-dir", type=Path, default=Path("runs/lstm"))
    return p.parse_args()


def main():
    args = parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    df = pd.read_csv(args.csv, parse_dates=["Date"]).sort_values("Date")
    split = int(len(df) * (1 - args.val_frac))
    train_ds = StockWindows(df.iloc[:split], args.window)
    val_ds = StockWindows(df.iloc[split:], args.window, train_ds.mean, train_ds.std)

    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)  # expect: BN301
    val_loader = DataLoader(val_ds, batch_size=128)

    model = LSTMRegressor(len(FEATURES), hidden_size=args.hidden).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.MSELoss()

    args.out_dir.mkdir(parents=True, exist_ok=True)
    history = []
    best = float("inf")
    for epoch in range(args.epochs):
        tr = run_epoch(model, train_loader, criterion, device, optimizer)
        va = run_epoch(model, val_loader, criterion, device)
        history.append({"epoch": epoch, "train": tr, "val": va})
        print(f"[{epoch:03d}] train={tr:.5f} val={va:.5f}")
        if va < best:
            best = va
            torch.save(model.state_dict(), args.out_dir / "best.pt")
    (args.out_dir / "history.json").write_text(json.dumps(history, indent=2))


if __name__ == "__main__":
    main()
