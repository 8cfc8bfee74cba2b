"""Temporal convolutional network (TCN) forecaster for multi-site electricity load.

Stage 1 pre-trains on synthetic seasonal series so the network learns daily and
weekly periodicity; stage 2 fine-tunes on the metered data; finally the best
checkpoint produces a 24 h forecast for every site.
"""
from __future__ import annotations

import argparse
import math

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

N_VARS = 7          # load + 6 weather covariates
LOOKBACK = 168      # one week of hourly data
HORIZON = 24
N_SYNTHETIC = 12_289
SYN_BATCH = 64


class TemporalBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, dilation: int, kernel: int = 3, dropout: float = 0.1):
        super().__init__()
        pad = (kernel - 1) * dilation
        self.pad = nn.ConstantPad1d((pad, 0), 0.0)
        self.conv1 = nn.Conv1d(in_ch, out_ch, kernel, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm1d(out_ch)
        self.conv2 = nn.Conv1d(out_ch, out_ch, kernel, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm1d(out_ch)
        self.drop = nn.Dropout(dropout)
        self.down = nn.Conv1d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.drop(torch.relu(self.bn1(self.conv1(self.pad(x)))))
        y = self.drop(torch.relu(self.bn2(self.conv2(self.pad(y)))))
        return torch.relu(y + self.down(x))


class TCNForecaster(nn.Module):
    def __init__(self, n_vars: int = N_VARS, channels=(32, 64, 64, 64), horizon: int = HORIZON):
        super().__init__()
        layers, prev = [], n_vars
        for i, ch in enumerate(channels):
            layers.append(TemporalBlock(prev, ch, dilation=2 ** i))
            prev = ch
        self.tcn = nn.Sequential(*layers)
        self.head = nn.Linear(prev, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (batch, n_vars, lookback) -> forecast of the load channel (batch, horizon)
        h = self.tcn(x)
        return self.head(h[:, :, -1])


class SyntheticSeasonal(Dataset):
    """Random mixtures of daily and weekly cycles, generated on the fly per index."""

    def __len__(self) -> int:
        return N_SYNTHETIC

    def __getitem__(self, idx: int):
        g = torch.Generator().manual_seed(idx)
        t = torch.arange(LOOKBACK + HORIZON, dtype=torch.float32)
        amp = torch.rand(N_VARS, 2, generator=g)
        phase = torch.rand(N_VARS, 1, generator=g) * 24
        daily = torch.sin(2 * math.pi * (t + phase) / 24)
        weekly = torch.sin(2 * math.pi * (t + phase) / 168)
        series = amp[:, :1] * daily + amp[:, 1:] * weekly
        series = series + 0.1 * torch.randn(series.shape, generator=g)
        return series[:, :LOOKBACK], series[0, LOOKBACK:]


def windows(values: np.ndarray, stride: int = 24) -> TensorDataset:
    xs, ys = [], []
    for start in range(0, values.shape[1] - LOOKBACK - HORIZON + 1, stride):
        xs.append(values[:, start:start + LOOKBACK])
        ys.append(values[0, start + LOOKBACK:start + LOOKBACK + HORIZON])
    return TensorDataset(torch.tensor(np.stack(xs), dtype=torch.float32),
                         torch.tensor(np.stack(ys), dtype=torch.float32))


def fit(model, loader, val_loader, epochs, lr, device):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    loss_fn = nn.SmoothL1Loss()
    best = math.inf
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            loss = loss_fn(model(x.to(device)), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        if val_loader is None:
            continue
        model.eval()
        with torch.no_grad():
            mae = sum((model(x.to(device)) - y.to(device)).abs().sum().item() for x, y in val_loader)
        mae /= len(val_loader.dataset) * HORIZON
        print(f"epoch {epoch}: val MAE {mae:.4f}")
        if mae < best:
            best = mae
            torch.save(model.state_dict(), "tcn_best.pt")
    return best


def predict_horizon(model: nn.Module, history: torch.Tensor, device: str) -> torch.Tensor:
    with torch.no_grad():
        return model(history.to(device)).cpu()  # expect: BN101


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/site_load_hourly.npy")  # (sites, n_vars, hours)
    p.add_argument("--epochs", type=int, default=50)
    args = p.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = TCNForecaster().to(device)
    syn_loader = DataLoader(SyntheticSeasonal(), batch_size=SYN_BATCH, shuffle=True)  # expect: BN302
    fit(model, syn_loader, None, epochs=5, lr=1e-3, device=device)

    data = np.load(args.data)
    split = int(data.shape[2] * 0.8)
    train_sets = [windows(site[:, :split]) for site in data]
    val_sets = [windows(site[:, split - LOOKBACK:]) for site in data]
    train_loader = DataLoader(torch.utils.data.ConcatDataset(train_sets), batch_size=128, shuffle=True, drop_last=True)
    val_loader = DataLoader(torch.utils.data.ConcatDataset(val_sets), batch_size=512)
    fit(model, train_loader, val_loader, epochs=args.epochs, lr=3e-4, device=device)

    best = TCNForecaster().to(device)
    best.load_state_dict(torch.load("tcn_best.pt", map_location=device))
    history = torch.tensor(data[:, :, -LOOKBACK:], dtype=torch.float32)
    forecast = predict_horizon(best, history, device)
    np.save("forecast_next_24h.npy", forecast.numpy())
    print(f"forecast for {forecast.shape[0]} sites written")


if __name__ == "__main__":
    main()
