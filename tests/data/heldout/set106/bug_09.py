"""Multi-step electricity load forecasting with a deep MLP over a lookback window.

Config lives in a dataclass; run `python bug_09.py` to train on load.parquet.
"""
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


@dataclass
class TrainConfig:
    path: str = "load.parquet"
    target: str = "MT_320"
    covariates: list = field(default_factory=lambda: ["temperature", "hour_sin", "hour_cos", "dow_sin", "dow_cos"])
    lookback: int = 168
    horizon: int = 24
    hidden: int = 512
    batch_size: int = 256
    lr: float = 1e-3
    epochs: int = 40
    eval_every: int = 200


class SlidingWindow(Dataset):
    def __init__(self, values, lookback, horizon, target_col=0):
        self.values = torch.as_tensor(values, dtype=torch.float32)
        self.lookback, self.horizon, self.target_col = lookback, horizon, target_col

    def __len__(self):
        return self.values.shape[0] - self.lookback - self.horizon + 1

    def __getitem__(self, i):
        x = self.values[i:i + self.lookback]  # (lookback, n_vars)
        y = self.values[i + self.lookback:i + self.lookback + self.horizon, self.target_col]
        return x, y


class MLPForecaster(nn.Module):
    def __init__(self, lookback, n_vars, horizon, hidden=512, dropout=0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(lookback * n_vars, hidden, bias=False),
            nn.BatchNorm2d(hidden),  # expect: BN202
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, horizon),
        )

    def forward(self, x):
        return self.net(x)


def validate(model, loader, device):
    model.eval()
    errs = []
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device))
            errs.append((pred - y.to(device)).abs().mean(1).cpu())
    return torch.cat(errs).mean().item()


def prepare(cfg):
    df = pd.read_parquet(cfg.path)
    cols = [cfg.target] + cfg.covariates
    values = df[cols].to_numpy(np.float32)
    n = len(values)
    train_end, val_end = int(n * 0.7), int(n * 0.85)
    mu, sigma = values[:train_end].mean(0), values[:train_end].std(0) + 1e-6
    values = (values - mu) / sigma
    make = partial(SlidingWindow, lookback=cfg.lookback, horizon=cfg.horizon)
    return make(values[:train_end]), make(values[train_end - cfg.lookback:val_end]), len(cols)


def main(cfg=TrainConfig()):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_ds, val_ds, n_vars = prepare(cfg)
    train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=1024)

    model = MLPForecaster(cfg.lookback, n_vars, cfg.horizon, cfg.hidden).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    loss_fn = nn.L1Loss()
    best_mae, global_step = np.inf, 0

    for epoch in range(cfg.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            global_step += 1
            if global_step % cfg.eval_every == 0:
                mae = validate(model, val_loader, device)  # expect: BN103
                print(f"step {global_step}: train {loss.item():.4f} val MAE {mae:.4f}")
                if mae < best_mae:
                    best_mae = mae
                    torch.save(model.state_dict(), "mlp_forecaster.pt")
    print("best val MAE", best_mae)


if __name__ == "__main__":
    main()
