"""Multivariate time-series forecasting (Transformer encoder) with a Trainer.

BatchNorm over features is applied with the feature axis in dim 1 (the
sequence tensors are transposed or flattened first); per-token normalisation
inside the encoder uses LayerNorm.
"""
import math

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

D_MODEL = 128
N_VARS = 21
LOOKBACK = 96
HORIZON = 24
N_STATIONS = 50


class WindowDataset(Dataset):
    def __init__(self, series, station_ids, lookback=LOOKBACK, horizon=HORIZON):
        self.series = torch.as_tensor(series, dtype=torch.float32)     # (T, S, V)
        self.station_ids = torch.as_tensor(station_ids)
        self.lookback, self.horizon = lookback, horizon
        self.n_windows = self.series.shape[0] - lookback - horizon + 1

    def __len__(self):
        return self.n_windows * self.series.shape[1]

    def __getitem__(self, i):
        t, s = divmod(i, self.series.shape[1])
        x = self.series[t:t + self.lookback, s]
        y = self.series[t + self.lookback:t + self.lookback + self.horizon, s, 0]
        return x, self.station_ids[s], y


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=512):
        super().__init__()
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe)

    def forward(self, x):  # (N, L, E)
        return x + self.pe[: x.size(1)]


class Forecaster(nn.Module):
    def __init__(self, n_vars=N_VARS, d_model=D_MODEL, n_stations=N_STATIONS):
        super().__init__()
        self.input_norm = nn.BatchNorm1d(n_vars)
        self.proj = nn.Linear(n_vars, d_model)
        self.station_emb = nn.Embedding(n_stations, d_model)
        self.emb_norm = nn.BatchNorm1d(d_model)
        self.pos = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=8, dim_feedforward=4 * d_model,
                                           dropout=0.1, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=3)
        self.token_norm = nn.LayerNorm(d_model)
        self.out_norm = nn.BatchNorm1d(d_model)
        self.head = nn.Linear(d_model * LOOKBACK, HORIZON)

    def forward(self, x, station):
        n, l, v = x.shape
        # normalise each input variable across batch and time: (N, L, V) -> (N, V, L)
        x = self.input_norm(x.transpose(1, 2)).transpose(1, 2)
        h = self.proj(x)                                      # (N, L, E)
        e = self.station_emb(station)                         # (N, E)
        e = self.emb_norm(e)
        h = self.pos(h + e.unsqueeze(1))
        h = self.encoder(h)                                   # (N, L, E), batch_first
        h = self.token_norm(h)
        h = self.out_norm(h.reshape(n * l, -1)).reshape(n, l, -1)
        return self.head(h.flatten(1))


class ForecastTrainer:
    def __init__(self, model, loaders, epochs=20, lr=5e-4, device="cpu", clip=1.0):
        self.model = model.to(device)
        self.loaders = loaders
        self.epochs, self.device, self.clip = epochs, device, clip
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(self.optimizer, patience=2)
        self.best = float("inf")

    def _to(self, batch):
        return [t.to(self.device) for t in batch]

    def train_epoch(self):
        self.model.train()
        total, n = 0.0, 0
        for x, station, y in self.loaders["train"]:
            x, station, y = self._to((x, station, y))
            loss = nn.functional.mse_loss(self.model(x, station), y)
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
            self.optimizer.step()
            total += loss.item() * len(y)
            n += len(y)
        return total / n

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        se, ae, n = 0.0, 0.0, 0
        for x, station, y in self.loaders["val"]:
            x, station, y = self._to((x, station, y))
            pred = self.model(x, station)
            se += ((pred - y) ** 2).sum().item()
            ae += (pred - y).abs().sum().item()
            n += y.numel()
        return se / n, ae / n

    def fit(self):
        for epoch in range(self.epochs):
            tr = self.train_epoch()
            mse, mae = self.validate()
            self.scheduler.step(mse)
            print(f"epoch {epoch}: train {tr:.4f} val mse {mse:.4f} mae {mae:.4f}")
            if mse < self.best:
                self.best = mse
                torch.save(self.model.state_dict(), "forecaster.pt")
        return self.best

    @torch.inference_mode()
    def forecast(self, x, station):
        self.model.eval()
        return self.model(x.to(self.device), station.to(self.device)).cpu()


if __name__ == "__main__":
    data = np.load("data/weather.npz")
    series = data["values"]          # (T, stations, vars)
    split = int(0.8 * series.shape[0])
    ids = np.arange(series.shape[1])
    loaders = {
        "train": DataLoader(WindowDataset(series[:split], ids), batch_size=256, shuffle=True,
                            drop_last=True, num_workers=4),
        "val": DataLoader(WindowDataset(series[split:], ids), batch_size=512),
    }
    trainer = ForecastTrainer(Forecaster(), loaders,
                              device="cuda" if torch.cuda.is_available() else "cpu")
    print("best val mse", trainer.fit())
