"""Convolutional autoencoder for anomaly detection on multivariate pump telemetry.

Windows are stored time-major, (window, sensors), as they come out of the
historian export; the model moves sensors to the channel axis before its
Conv1d / BatchNorm1d stack. The anomaly threshold is the 99.5th percentile of
reconstruction error on held-out normal data.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

SENSORS = 52
WINDOW = 128
NUM_TRAIN_WINDOWS = 12_288
NUM_CALIB_WINDOWS = 4_097
BATCH_SIZE = 64
EVAL_BATCH_SIZE = 256


class TelemetryWindows(Dataset):
    """Fixed number of windows sampled from a memory-mapped (time, sensors) array."""

    def __init__(self, path: str, count: int, seed: int):
        self.data = np.load(path, mmap_mode="r")
        rng = np.random.default_rng(seed)
        self.starts = rng.integers(0, self.data.shape[0] - WINDOW, size=count)
        self.mean = np.asarray(self.data[:100_000].mean(0), dtype=np.float32)
        self.std = np.asarray(self.data[:100_000].std(0), dtype=np.float32) + 1e-6

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, idx: int) -> torch.Tensor:
        s = self.starts[idx]
        w = (np.asarray(self.data[s:s + WINDOW], dtype=np.float32) - self.mean) / self.std
        return torch.from_numpy(w)  # (WINDOW, SENSORS)


class ConvAE(nn.Module):
    def __init__(self, sensors: int = SENSORS, widths=(64, 128, 256)):
        super().__init__()
        enc, prev = [], sensors
        for w in widths:
            enc += [nn.Conv1d(prev, w, 5, stride=2, padding=2, bias=False), nn.BatchNorm1d(w), nn.GELU()]
            prev = w
        self.encoder = nn.Sequential(*enc)
        dec = []
        for w in reversed(widths[:-1]):
            dec += [nn.ConvTranspose1d(prev, w, 4, stride=2, padding=1, bias=False), nn.BatchNorm1d(w), nn.GELU()]
            prev = w
        dec.append(nn.ConvTranspose1d(prev, sensors, 4, stride=2, padding=1))
        self.decoder = nn.Sequential(*dec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encoder(x.transpose(1, 2))       # (N, SENSORS, WINDOW) -> (N, C, WINDOW / 8)
        return self.decoder(z).transpose(1, 2)    # back to (N, WINDOW, SENSORS)


def window_errors(model: nn.Module, loader: DataLoader, device: str) -> torch.Tensor:
    errs = []
    with torch.no_grad():
        for x in loader:
            x = x.to(device)
            errs.append(((model(x) - x) ** 2).mean(dim=(1, 2)).cpu())
    return torch.cat(errs)


def calibrate_threshold(model: nn.Module, loader: DataLoader, device: str, q: float = 0.995) -> float:
    model.eval()
    return torch.quantile(window_errors(model, loader, device), q).item()


def validation_loss(model: nn.Module, loader: DataLoader, device: str) -> float:
    model.eval()
    return window_errors(model, loader, device).mean().item()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/pump_normal_2023.npy")
    p.add_argument("--calib", default="data/pump_normal_2024q1.npy")
    p.add_argument("--test", default="data/pump_2024q2.npy")
    p.add_argument("--epochs", type=int, default=60)
    args = p.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader = DataLoader(TelemetryWindows(args.train, NUM_TRAIN_WINDOWS, seed=0), batch_size=BATCH_SIZE, shuffle=True, num_workers=4)
    calib_loader = DataLoader(TelemetryWindows(args.calib, NUM_CALIB_WINDOWS, seed=1), batch_size=EVAL_BATCH_SIZE)
    model = ConvAE().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)

    for epoch in range(args.epochs):
        model.train()
        for x in train_loader:
            x = x.to(device)
            loss = nn.functional.mse_loss(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % 5 == 4:
            print(f"epoch {epoch + 1}: train {loss.item():.4f} calib {validation_loss(model, calib_loader, device):.4f}")

    threshold = calibrate_threshold(model, calib_loader, device)
    test = np.load(args.test).astype(np.float32)
    ds = TelemetryWindows(args.calib, 1, seed=2)
    starts = range(0, test.shape[0] - WINDOW, WINDOW // 2)
    flagged = []
    with torch.no_grad():
        for s in starts:
            w = torch.from_numpy((test[s:s + WINDOW] - ds.mean) / ds.std).unsqueeze(0).to(device)
            err = ((model(w) - w) ** 2).mean().item()
            if err > threshold:
                flagged.append((s, err))
    print(f"threshold {threshold:.4f}: {len(flagged)} anomalous windows out of {len(starts)}")
    np.save("anomalies.npy", np.array(flagged))


if __name__ == "__main__":
    main()
