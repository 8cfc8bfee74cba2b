"""Temporal convolutional network for multivariate load forecasting, with early stopping."""
import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class SlidingWindows(Dataset):
    def __init__(self, series: np.ndarray, window: int, horizon: int, target_col: int = 0):
        self.series = torch.as_tensor(series, dtype=torch.float32)   # (T, F)
        self.window, self.horizon, self.target_col = window, horizon, target_col

    def __len__(self):
        return self.series.size(0) - self.window - self.horizon + 1

    def __getitem__(self, i):
        x = self.series[i:i + self.window]                                  # (L, F)
        y = self.series[i + self.window:i + self.window + self.horizon, self.target_col]
        return x, y


class TemporalBlock(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, dilation, dropout=0.1):
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.conv1 = nn.Conv1d(in_ch, out_ch, kernel_size, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm1d(out_ch)
        self.conv2 = nn.Conv1d(out_ch, out_ch, kernel_size, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm1d(out_ch)
        self.dropout = nn.Dropout(dropout)
        self.downsample = nn.Conv1d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x):
        h = self.dropout(F.relu(self.bn1(self.conv1(F.pad(x, (self.pad, 0))))))
        h = self.dropout(F.relu(self.bn2(self.conv2(F.pad(h, (self.pad, 0))))))
        return F.relu(h + self.downsample(x))


class TCN(nn.Module):
    def __init__(self, n_features, horizon, channels=(64, 64, 128, 128), kernel_size=3):
        super().__init__()
        blocks, prev = [], n_features
        for i, ch in enumerate(channels):
            blocks.append(TemporalBlock(prev, ch, kernel_size, dilation=2 ** i))
            prev = ch
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(prev, horizon)

    def forward(self, x):                 # x: (N, L, F)
        h = self.blocks(x.permute(0, 2, 1))  # (N, C, L)
        return self.head(h[:, :, -1])


class EarlyStopping:
    def __init__(self, patience=10, min_delta=1e-4, path=Path("tcn_best.pt")):
        self.patience, self.min_delta, self.path = patience, min_delta, path
        self.best, self.bad_epochs = float("inf"), 0

    def __call__(self, val_loss, model) -> bool:
        if val_loss < self.best - self.min_delta:
            self.best, self.bad_epochs = val_loss, 0
            torch.save(model.state_dict(), self.path)
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    total, n = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item() * x.size(0)
        n += x.size(0)
    return total / n


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    se, ae, n = 0.0, 0.0, 0
    for x, y in loader:
        pred = model(x.to(device)).cpu()
        se += F.mse_loss(pred, y, reduction="sum").item()
        ae += F.l1_loss(pred, y, reduction="sum").item()
        n += y.numel()
    return se / n, ae / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", required=True)
    parser.add_argument("--window", type=int, default=168)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    data = np.loadtxt(args.csv, delimiter=",", skiprows=1, dtype=np.float32)
    n_train, n_val = int(0.7 * len(data)), int(0.15 * len(data))
    mean, std = data[:n_train].mean(0), data[:n_train].std(0) + 1e-6
    data = (data - mean) / std
    train_ds = SlidingWindows(data[:n_train], args.window, args.horizon)
    val_ds = SlidingWindows(data[n_train:n_train + n_val], args.window, args.horizon)
    test_ds = SlidingWindows(data[n_train + n_val:], args.window, args.horizon)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256)
    test_loader = DataLoader(test_ds, batch_size=256)

    model = TCN(n_features=data.shape[1], horizon=args.horizon).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=4)
    stopper = EarlyStopping()
    for epoch in range(args.epochs):
        train_loss = train_one_epoch(model, train_loader, optimizer, device)
        val_mse, val_mae = validate(model, val_loader, device)
        scheduler.step(val_mse)
        print(f"epoch {epoch:03d} train {train_loss:.4f} val mse {val_mse:.4f} mae {val_mae:.4f}")
        if stopper(val_mse, model):
            print(f"early stop at epoch {epoch}")
            break

    model.load_state_dict(torch.load(stopper.path, map_location=device))
    test_mse, test_mae = validate(model, test_loader, device)
    print(f"test mse {test_mse:.4f} mae {test_mae:.4f} (normalised units)")


if __name__ == "__main__":
    main()
