"""Temporal convolutional network for short-term solar power forecasting,
trained on 5-minute inverter telemetry and exported to ONNX for the edge gateway.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

HIDDEN = 64
LOOKBACK = 96
HORIZON = 12


class Chomp1d(nn.Module):
    def __init__(self, chomp):
        super().__init__()
        self.chomp = chomp

    def forward(self, x):
        return x[:, :, :-self.chomp] if self.chomp else x


class TemporalBlock(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, dilation, dropout=0.1):
        super().__init__()
        pad = (kernel_size - 1) * dilation
        self.conv1 = nn.Conv1d(in_ch, out_ch, kernel_size, padding=pad, dilation=dilation, bias=False)
        self.chomp1 = Chomp1d(pad)
        self.bn1 = nn.BatchNorm1d(out_ch)
        self.conv2 = nn.Conv1d(out_ch, out_ch, kernel_size, padding=pad, dilation=dilation, bias=False)
        self.chomp2 = Chomp1d(pad)
        self.bn2 = nn.BatchNorm1d(out_ch, 0.1)  # expect: BN206
        self.drop = nn.Dropout(dropout)
        self.down = nn.Conv1d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x):
        h = self.drop(F.relu(self.bn1(self.chomp1(self.conv1(x)))))
        h = self.drop(F.relu(self.bn2(self.chomp2(self.conv2(h)))))
        return F.relu(h + self.down(x))


class SolarTCN(nn.Module):
    def __init__(self, n_inputs, levels=4, kernel_size=3):
        super().__init__()
        blocks, c_in = [], n_inputs
        for i in range(levels):
            blocks.append(TemporalBlock(c_in, HIDDEN, kernel_size, dilation=2 ** i))
            c_in = HIDDEN
        self.tcn = nn.Sequential(*blocks)
        self.proj = nn.Conv1d(HIDDEN, 32, kernel_size=1, bias=False)
        self.proj_bn = nn.BatchNorm1d(HIDDEN)  # expect: BN201
        self.out = nn.Linear(32 * LOOKBACK, HORIZON)

    def forward(self, x):
        # x: (batch, time, features) -> conv layout
        h = self.tcn(x.transpose(1, 2))
        h = F.relu(self.proj_bn(self.proj(h)))
        return self.out(h.flatten(1))


class TelemetryWindows(Dataset):
    def __init__(self, array, lookback=LOOKBACK, horizon=HORIZON):
        self.data = torch.from_numpy(array.astype(np.float32))
        self.lookback, self.horizon = lookback, horizon

    def __len__(self):
        return self.data.shape[0] - self.lookback - self.horizon

    def __getitem__(self, i):
        past = self.data[i:i + self.lookback]
        future = self.data[i + self.lookback:i + self.lookback + self.horizon, 0]   # column 0 = AC power
        return past, future


def evaluate(model, loader, device):
    model.eval()
    se, n = 0.0, 0
    with torch.no_grad():
        for past, future in loader:
            pred = model(past.to(device))
            se += F.mse_loss(pred, future.to(device), reduction="sum").item()
            n += future.numel()
    model.train()
    return (se / n) ** 0.5


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/solar_train.npy")
    p.add_argument("--val", default="data/solar_val.npy")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--bs", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--onnx", default="export/solar_tcn.onnx")
    args = p.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_arr, val_arr = np.load(args.train), np.load(args.val)
    train_dl = DataLoader(TelemetryWindows(train_arr), batch_size=args.bs, shuffle=True, drop_last=True)
    val_dl = DataLoader(TelemetryWindows(val_arr), batch_size=512)

    model = SolarTCN(n_inputs=train_arr.shape[1]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)

    model.train()
    for epoch in range(args.epochs):
        for past, future in train_dl:
            past, future = past.to(device), future.to(device)
            opt.zero_grad()
            loss = F.smooth_l1_loss(model(past), future)
            loss.backward()
            opt.step()
        val_rmse = evaluate(model, val_dl, device)
        print(f"epoch {epoch:02d} last_loss {loss.item():.4f} val_rmse {val_rmse:.4f}")

    os.makedirs(os.path.dirname(args.onnx), exist_ok=True)
    dummy = torch.randn(1, LOOKBACK, train_arr.shape[1], device=device)
    torch.onnx.export(model, dummy, args.onnx, input_names=["telemetry"], output_names=["forecast"],  # expect: BN104
                      dynamic_axes={"telemetry": {0: "batch"}, "forecast": {0: "batch"}}, opset_version=17)
    print("exported", args.onnx)


if __name__ == "__main__":
    main()
