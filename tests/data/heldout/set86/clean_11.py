"""Adapt a TCN forecaster pretrained on the whole wind-farm fleet to a single new
turbine with only a few weeks of SCADA data.

The TCN backbone (convs + BatchNorm) is frozen and its BatchNorm layers are kept
in eval mode every epoch, so their running statistics stay those of the fleet.
Only the forecasting head is trained.  The adapted model is then conv-BN fused
for CPU deployment.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.ao.quantization import fuse_modules
from torch.utils.data import DataLoader, Dataset


class CausalBlock(nn.Module):
    def __init__(self, c_in, c_out, dilation, k=3):
        super().__init__()
        self.pad = nn.ConstantPad1d(((k - 1) * dilation, 0), 0.0)
        self.conv = nn.Conv1d(c_in, c_out, k, dilation=dilation, bias=False)
        self.bn = nn.BatchNorm1d(c_out)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(self.pad(x))))


class WindTCN(nn.Module):
    def __init__(self, n_feats=8, width=48, levels=5, horizon=36):
        super().__init__()
        self.backbone = nn.Sequential(*[
            CausalBlock(n_feats if i == 0 else width, width, dilation=2 ** i) for i in range(levels)
        ])
        self.head = nn.Sequential(nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, horizon))

    def forward(self, x):                      # (B, T, F)
        h = self.backbone(x.transpose(1, 2))   # (B, width, T)
        return self.head(h[:, :, -1])


class ScadaWindows(Dataset):
    def __init__(self, arr, lookback=144, horizon=36):
        self.arr = torch.from_numpy(arr.astype(np.float32))
        self.lookback, self.horizon = lookback, horizon

    def __len__(self):
        return len(self.arr) - self.lookback - self.horizon + 1

    def __getitem__(self, i):
        j = i + self.lookback
        return self.arr[i:j], self.arr[j:j + self.horizon, 0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fleet-ckpt", default="models/wind_tcn_fleet.pt")
    ap.add_argument("--turbine", default="data/scada/T17.npy")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--out", default="models/wind_tcn_T17_fused.pt")
    args = ap.parse_args()

    model = WindTCN()
    model.load_state_dict(torch.load(args.fleet_ckpt, map_location="cpu"))
    model.backbone.requires_grad_(False)

    arr = np.load(args.turbine)
    split = int(0.85 * len(arr))
    train_dl = DataLoader(ScadaWindows(arr[:split]), batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_dl = DataLoader(ScadaWindows(arr[split - 144:]), batch_size=256)

    opt = torch.optim.Adam(model.head.parameters(), lr=5e-4)
    loss_fn = nn.HuberLoss()
    for epoch in range(args.epochs):
        model.train()
        model.backbone.eval()        # frozen: keep fleet BatchNorm statistics
        for x, y in train_dl:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()

        model.eval()
        with torch.no_grad():
            mae = torch.cat([(model(x) - y).abs().flatten() for x, y in val_dl]).mean().item()
        print(f"epoch {epoch + 1}: val MAE {mae:.4f}")

    model.eval()
    to_fuse = [[f"backbone.{i}.conv", f"backbone.{i}.bn", f"backbone.{i}.relu"] for i in range(len(model.backbone))]
    fused = fuse_modules(model, to_fuse)
    torch.save(fused, args.out)
    print("saved fused model to", args.out)


if __name__ == "__main__":
    main()
