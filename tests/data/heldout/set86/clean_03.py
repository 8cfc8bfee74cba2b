"""Remaining-useful-life regression on C-MAPSS turbofan sensor windows.

Windows are (batch, time, sensors).  A bidirectional LSTM encodes the window; the
per-timestep hidden states are batch-normalised over the feature axis (moved to
dim 1 first) before attention pooling.
"""
import argparse

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

SENSORS = ["s2", "s3", "s4", "s7", "s8", "s9", "s11", "s12", "s13", "s14", "s15", "s17", "s20", "s21"]
WINDOW = 30
MAX_RUL = 125


class EngineWindows(Dataset):
    def __init__(self, df, window=WINDOW):
        self.samples = []
        for _, g in df.groupby("unit"):
            feats = g[SENSORS].values.astype(np.float32)
            rul = np.minimum(g["rul"].values, MAX_RUL).astype(np.float32)
            for end in range(window, len(g) + 1):
                self.samples.append((feats[end - window:end], rul[end - 1]))

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        x, y = self.samples[i]
        return torch.from_numpy(x), torch.tensor(y)


class LSTMRul(nn.Module):
    def __init__(self, n_sensors=len(SENSORS), hidden=64):
        super().__init__()
        self.lstm = nn.LSTM(n_sensors, hidden, num_layers=2, batch_first=True, bidirectional=True, dropout=0.1)
        self.bn = nn.BatchNorm1d(2 * hidden)
        self.attn = nn.Linear(2 * hidden, 1)
        self.out = nn.Sequential(nn.Linear(2 * hidden, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        h, _ = self.lstm(x)                       # (B, T, 2H)
        h = self.bn(h.transpose(1, 2)).transpose(1, 2)
        w = torch.softmax(self.attn(h), dim=1)    # (B, T, 1)
        pooled = (w * h).sum(dim=1)
        return self.out(pooled).squeeze(-1)


def evaluate_rmse(model, loader, device):
    """Caller is responsible for putting the model in eval mode."""
    se, n = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).clamp(0, MAX_RUL).cpu()
            se += ((pred - y) ** 2).sum().item()
            n += y.numel()
    return (se / n) ** 0.5


def load_frame(path):
    cols = ["unit", "cycle", "os1", "os2", "os3"] + [f"s{i}" for i in range(1, 22)]
    df = pd.read_csv(path, sep=r"\s+", header=None, names=cols)
    df["rul"] = df.groupby("unit")["cycle"].transform("max") - df["cycle"]
    return df


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="CMAPSSData/train_FD001.txt")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=64)
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    df = load_frame(args.train)
    mu, sd = df[SENSORS].mean(), df[SENSORS].std() + 1e-6
    df[SENSORS] = (df[SENSORS] - mu) / sd
    val_units = df.unit.unique()[-15:]
    train_ds = EngineWindows(df[~df.unit.isin(val_units)])
    val_ds = EngineWindows(df[df.unit.isin(val_units)])
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=1024)

    model = LSTMRul(hidden=args.hidden).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        model.eval()
        rmse = evaluate_rmse(model, val_loader, device)
        print(f"epoch {epoch + 1:02d}  val RMSE {rmse:.2f}")

    torch.save({"model": model.state_dict(), "mu": mu.values, "sd": sd.values}, "lstm_rul_fd001.pt")


if __name__ == "__main__":
    main()
