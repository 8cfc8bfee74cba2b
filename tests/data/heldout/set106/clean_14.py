"""Conv + LSTM solar-power forecaster with post-training static quantisation.

- per-timestep covariate projection normalised with BatchNorm1d over (N*L, E)
- Conv1d/BatchNorm1d/ReLU front-end on (N, C, L) tensors
- conv-bn-relu fused with torch.ao.quantization after switching to eval mode
"""
import argparse
import copy

import numpy as np
import torch
import torch.nn as nn
from torch.ao.quantization import fuse_modules
from torch.utils.data import DataLoader, TensorDataset

LOOKBACK = 96
HORIZON = 16
N_COV = 10
EMB = 32
N_WINDOWS = 20000


class SolarForecaster(nn.Module):
    def __init__(self, n_cov=N_COV, emb=EMB, hidden=64):
        super().__init__()
        self.cov_proj = nn.Linear(n_cov, emb, bias=False)
        self.cov_bn = nn.BatchNorm1d(emb)
        self.conv1 = nn.Conv1d(emb, 64, kernel_size=5, padding=2, bias=False)
        self.bn1 = nn.BatchNorm1d(64)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv1d(64, 64, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm1d(64)
        self.relu2 = nn.ReLU()
        self.lstm = nn.LSTM(64, hidden, batch_first=True)
        self.out = nn.Linear(hidden, HORIZON)

    def forward(self, cov):
        # cov: (N, L, n_cov)
        n, l, _ = cov.shape
        z = self.cov_proj(cov)  # (N, L, emb)
        z = self.cov_bn(z.reshape(n * l, -1)).reshape(n, l, -1)  # BN over emb, per timestep
        z = z.permute(0, 2, 1)  # (N, emb, L)
        z = self.relu1(self.bn1(self.conv1(z)))
        z = self.relu2(self.bn2(self.conv2(z)))  # (N, 64, L)
        h, _ = self.lstm(z.transpose(1, 2))  # (N, L, hidden)
        return self.out(h[:, -1])


def make_windows(n):
    rng = np.random.default_rng(0)
    t = np.arange(LOOKBACK + HORIZON)
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    irradiance = np.clip(np.sin(2 * np.pi * t / 96 + phase), 0, None)
    cov = np.repeat(irradiance[:, :LOOKBACK, None], N_COV, axis=2) + 0.1 * rng.standard_normal((n, LOOKBACK, N_COV))
    target = irradiance[:, LOOKBACK:]
    return torch.tensor(cov, dtype=torch.float32), torch.tensor(target, dtype=torch.float32)


def mae(model, loader):
    model.eval()
    errs = []
    with torch.no_grad():
        for x, y in loader:
            errs.append((model(x) - y).abs().mean().item())
    return float(np.mean(errs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=128)
    args = ap.parse_args()

    x, y = make_windows(N_WINDOWS)
    n_train = 16000
    train_dl = DataLoader(TensorDataset(x[:n_train], y[:n_train]), batch_size=args.batch_size, shuffle=True)
    # rolling-origin evaluation: one window at a time, as the production job does
    eval_dl = DataLoader(TensorDataset(x[n_train:], y[n_train:]), batch_size=1)

    model = SolarForecaster()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(args.epochs):
        model.train()
        for xb, yb in train_dl:
            loss = nn.functional.smooth_l1_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: train {loss.item():.4f} eval MAE {mae(model, eval_dl):.4f}")

    torch.save(model.state_dict(), "solar_fp32.pt")

    qmodel = copy.deepcopy(model)
    qmodel.eval()
    qmodel = fuse_modules(qmodel, [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"]])
    qmodel.qconfig = torch.ao.quantization.get_default_qconfig("x86")
    print("fused model eval MAE", mae(qmodel, eval_dl))


if __name__ == "__main__":
    main()
