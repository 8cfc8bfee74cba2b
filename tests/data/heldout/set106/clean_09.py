"""N-BEATS-flavoured MLP forecaster for hourly traffic occupancy, with BatchNorm.

Validates every `eval_every` optimisation steps (mid-epoch) and exports a
TorchScript artefact for the serving side at the end.
"""
import argparse
import functools
import os

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

Norm = functools.partial(nn.BatchNorm1d, eps=1e-3, momentum=0.05)


class FCBlock(nn.Module):
    """Linear -> BN -> ReLU, repeated; returns backcast and forecast like N-BEATS."""

    def __init__(self, lookback, horizon, width=512, depth=4):
        super().__init__()
        layers = []
        in_dim = lookback
        for _ in range(depth):
            layers += [nn.Linear(in_dim, width, bias=False), Norm(width), nn.ReLU()]
            in_dim = width
        self.trunk = nn.Sequential(*layers)
        self.backcast = nn.Linear(width, lookback)
        self.forecast = nn.Linear(width, horizon)

    def forward(self, x):
        h = self.trunk(x)
        return self.backcast(h), self.forecast(h)


class NBeatsBN(nn.Module):
    def __init__(self, lookback=168, horizon=24, n_blocks=6):
        super().__init__()
        self.blocks = nn.ModuleList([FCBlock(lookback, horizon) for _ in range(n_blocks)])

    def forward(self, x):  # x: (N, lookback)
        residual, forecast = x, 0.0
        for block in self.blocks:
            b, f = block(residual)
            residual = residual - b
            forecast = forecast + f
        return forecast


class SeriesWindows(Dataset):
    def __init__(self, series, lookback, horizon):
        self.series = torch.as_tensor(series, dtype=torch.float32)  # (n_series, T)
        self.lookback, self.horizon = lookback, horizon
        self.per_series = self.series.size(1) - lookback - horizon + 1

    def __len__(self):
        return self.series.size(0) * self.per_series

    def __getitem__(self, idx):
        s, t = divmod(idx, self.per_series)
        x = self.series[s, t:t + self.lookback]
        y = self.series[s, t + self.lookback:t + self.lookback + self.horizon]
        return x, y


@torch.no_grad()
def smape(model, loader):
    was_training = model.training
    model.eval()
    num = den = 0.0
    for x, y in loader:
        pred = model(x)
        num += (2 * (pred - y).abs() / (pred.abs() + y.abs() + 1e-8)).sum().item()
        den += y.numel()
    model.train(was_training)
    return 100.0 * num / den


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="traffic.npy")
    ap.add_argument("--lookback", type=int, default=168)
    ap.add_argument("--horizon", type=int, default=24)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--out", default="artifacts")
    args = ap.parse_args()

    series = np.load(args.data)  # (n_series, T)
    split = int(series.shape[1] * 0.8)
    scale = series[:, :split].max(axis=1, keepdims=True) + 1e-6
    series = series / scale
    train_ds = SeriesWindows(series[:, :split], args.lookback, args.horizon)
    val_ds = SeriesWindows(series[:, split - args.lookback:], args.lookback, args.horizon)
    train_dl = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=4)
    val_dl = DataLoader(val_ds, batch_size=4096)

    model = NBeatsBN(args.lookback, args.horizon)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.L1Loss()
    step, best = 0, float("inf")
    os.makedirs(args.out, exist_ok=True)
    model.train()
    while step < args.steps:
        for x, y in train_dl:
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % args.eval_every == 0:
                score = smape(model, val_dl)
                print(f"step {step}: loss {loss.item():.4f} val sMAPE {score:.3f}")
                if score < best:
                    best = score
                    torch.save(model.state_dict(), os.path.join(args.out, "nbeats_bn.pt"))
            if step >= args.steps:
                break

    model.load_state_dict(torch.load(os.path.join(args.out, "nbeats_bn.pt")))
    model.eval()
    example = torch.randn(16, args.lookback)
    traced = torch.jit.trace(model, example)
    traced.save(os.path.join(args.out, "nbeats_bn.ts"))


if __name__ == "__main__":
    main()
