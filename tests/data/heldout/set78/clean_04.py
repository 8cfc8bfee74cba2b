"""Temporal convolutional network for multi-step load forecasting.

Windows are cut from a (time, variables) table, so each sample is
(LOOKBACK, N_VARS); the network works channel-first on (batch, N_VARS, LOOKBACK).
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

N_VARS = 7
LOOKBACK = 168
HORIZON = 24


class WindowDataset(Dataset):
    def __init__(self, table, lookback=LOOKBACK, horizon=HORIZON):
        self.table = torch.as_tensor(table, dtype=torch.float32)
        self.lookback, self.horizon = lookback, horizon

    def __len__(self):
        return self.table.shape[0] - self.lookback - self.horizon + 1

    def __getitem__(self, i):
        past = self.table[i:i + self.lookback]
        future = self.table[i + self.lookback:i + self.lookback + self.horizon, 0]
        return past, future


class TemporalBlock(nn.Module):
    def __init__(self, in_ch, out_ch, kernel=3, dilation=1, dropout=0.1):
        super().__init__()
        self.pad = (kernel - 1) * dilation
        self.conv1 = nn.Conv1d(in_ch, out_ch, kernel, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm1d(out_ch)
        self.conv2 = nn.Conv1d(out_ch, out_ch, kernel, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm1d(out_ch)
        self.drop = nn.Dropout(dropout)
        self.skip = nn.Conv1d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(F.pad(x, (self.pad, 0)))))
        y = self.drop(y)
        y = F.relu(self.bn2(self.conv2(F.pad(y, (self.pad, 0)))))
        return F.relu(self.drop(y) + self.skip(x))


class TCNForecaster(nn.Module):
    def __init__(self, n_vars=N_VARS, channels=(32, 64, 64, 128), horizon=HORIZON):
        super().__init__()
        blocks, in_ch = [], n_vars
        for i, ch in enumerate(channels):
            blocks.append(TemporalBlock(in_ch, ch, dilation=2 ** i))
            in_ch = ch
        self.tcn = nn.Sequential(*blocks)
        self.input_bn = nn.BatchNorm1d(n_vars)
        self.head = nn.Sequential(
            nn.Linear(2 * in_ch, 64, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Linear(64, horizon),
        )

    def forward(self, past):
        x = self.input_bn(past.permute(0, 2, 1))
        h = self.tcn(x)
        last = h[:, :, -1]
        avg = F.adaptive_avg_pool1d(h, 1).squeeze(-1)
        return self.head(torch.cat([last, avg], dim=1))


def synthetic_table(n_steps=20000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    daily = np.sin(2 * np.pi * t / 24)
    weekly = np.sin(2 * np.pi * t / 168)
    cols = [daily + 0.5 * weekly + 0.1 * rng.standard_normal(n_steps)]
    for _ in range(N_VARS - 1):
        cols.append(0.7 * daily + 0.3 * rng.standard_normal(n_steps))
    return np.stack(cols, axis=1)


def main():
    table = synthetic_table()
    split = int(0.8 * len(table))
    train_ds, val_ds = WindowDataset(table[:split]), WindowDataset(table[split:])
    train_dl = DataLoader(train_ds, batch_size=128, shuffle=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=512)
    model = TCNForecaster()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(15):
        model.train()
        for past, future in train_dl:
            loss = F.mse_loss(model(past), future)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            mae = sum(F.l1_loss(model(p), f, reduction="sum").item() for p, f in val_dl)
        print(f"epoch {epoch} train_mse {loss.item():.4f} val_mae {mae / (len(val_ds) * HORIZON):.4f}")


if __name__ == "__main__":
    main()
