"""Multivariate load forecasting with a conv-embedded Transformer encoder.

Input windows are (batch, lookback, n_vars); the model predicts the next
`horizon` steps of the target column.
"""
import math
from dataclasses import dataclass, asdict

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


@dataclass
class Config:
    csv: str = "data/electricity_hourly.csv"
    target: str = "MT_320"
    lookback: int = 168
    horizon: int = 24
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 3
    dropout: float = 0.1
    batch_size: int = 64
    lr: float = 5e-4
    epochs: int = 20
    val_frac: float = 0.15
    ckpt: str = "transformer_forecaster.pt"


class WindowDataset(Dataset):
    def __init__(self, values, target_idx, lookback, horizon):
        self.values = torch.as_tensor(values, dtype=torch.float32)
        self.target_idx = target_idx
        self.lookback = lookback
        self.horizon = horizon

    def __len__(self):
        return len(self.values) - self.lookback - self.horizon + 1

    def __getitem__(self, i):
        x = self.values[i:i + self.lookback]
        y = self.values[i + self.lookback:i + self.lookback + self.horizon, self.target_idx]
        return x, y


class ConvEmbedding(nn.Module):
    """Token embedding: 1D conv over time, applied in (B, C, L) layout."""

    def __init__(self, n_vars, d_model):
        super().__init__()
        self.conv = nn.Conv1d(n_vars, d_model, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm1d(d_model, 0.9)  # expect: BN206

    def forward(self, x):
        x = x.permute(0, 2, 1)               # (B, n_vars, L)
        x = F.gelu(self.bn(self.conv(x)))
        return x.permute(0, 2, 1)            # (B, L, d_model)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=2048):
        super().__init__()
        pe = torch.zeros(max_len, d_model)
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, :x.size(1)]


class Forecaster(nn.Module):
    def __init__(self, n_vars, cfg: Config):
        super().__init__()
        self.embed = ConvEmbedding(n_vars, cfg.d_model)
        self.pos = PositionalEncoding(cfg.d_model)
        layer = nn.TransformerEncoderLayer(cfg.d_model, cfg.n_heads, dim_feedforward=4 * cfg.d_model,
                                           dropout=cfg.dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.n_layers)
        self.norm = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model * cfg.lookback, cfg.horizon)

    def forward(self, x):
        h = self.encoder(self.pos(self.embed(x)))
        h = self.norm(h)
        return self.head(h.flatten(1))


def load_splits(cfg):
    df = pd.read_csv(cfg.csv, parse_dates=["timestamp"], index_col="timestamp")
    values = df.values.astype(np.float32)
    n_val = int(len(values) * cfg.val_frac)
    train_vals, val_vals = values[:-n_val], values[-n_val - cfg.lookback:]
    mu, sigma = train_vals.mean(0), train_vals.std(0) + 1e-6
    train_vals = (train_vals - mu) / sigma
    val_vals = (val_vals - mu) / sigma
    t_idx = df.columns.get_loc(cfg.target)
    return (WindowDataset(train_vals, t_idx, cfg.lookback, cfg.horizon),
            WindowDataset(val_vals, t_idx, cfg.lookback, cfg.horizon),
            values.shape[1])


def main(cfg: Config = Config()):
    print(asdict(cfg))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_ds, val_ds, n_vars = load_splits(cfg)
    train_dl = DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=256)

    model = Forecaster(n_vars, cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)

    best_mae = float("inf")
    model.train()
    for epoch in range(cfg.epochs):
        train_loss = 0.0
        for x, y in train_dl:
            x, y = x.to(device), y.to(device)
            loss = F.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            train_loss += loss.item()
        sched.step()

        model.eval()  # expect: BN103
        mae, n = 0.0, 0
        with torch.no_grad():
            for x, y in val_dl:
                pred = model(x.to(device)).cpu()
                mae += (pred - y).abs().sum().item()
                n += y.numel()
        mae /= n
        print(f"epoch {epoch:02d} train_mse {train_loss / len(train_dl):.4f} val_mae {mae:.4f}")
        if mae < best_mae:
            best_mae = mae
            torch.save({"state_dict": model.state_dict(), "config": asdict(cfg)}, cfg.ckpt)


if __name__ == "__main__":
    main()
