"""Friedman #1 regression benchmark for tabular MLP variants.

Generates the classic synthetic dataset (10 features, 5 informative) and trains a
BatchNorm MLP, reporting test RMSE.  Meant to be run from bench.sh with different seeds.
"""
import sys
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

N_FEATURES = 10
N_TRAIN = 1025
N_TEST = 2000
NOISE = 1.0
BATCH_SIZE = 64
EPOCHS = 200
LR = 3e-3


def friedman1_target(X, generator):
    y = (10 * torch.sin(torch.pi * X[:, 0] * X[:, 1])
         + 20 * (X[:, 2] - 0.5) ** 2
         + 10 * X[:, 3]
         + 5 * X[:, 4])
    y = y + NOISE * torch.randn(X.shape[0], generator=generator)
    return y.unsqueeze(1)


class RegressionMLP(nn.Module):
    def __init__(self, n_in=N_FEATURES):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_in, 256, bias=False),
            nn.BatchNorm2d(256),  # expect: BN202
            nn.ReLU(),
            nn.Linear(256, 64, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Linear(64, 1),
        )

    def forward(self, x):
        return self.body(x)


def rmse(model, X, y):
    model.eval()
    with torch.no_grad():
        pred = model(X)
    return torch.sqrt(torch.mean((pred - y) ** 2)).item()


def main(seed=0):
    g = torch.Generator().manual_seed(seed)
    X_train = torch.rand(N_TRAIN, N_FEATURES, generator=g)
    X_test = torch.rand(N_TEST, N_FEATURES, generator=g)
    y_train = friedman1_target(X_train, g)
    y_test = friedman1_target(X_test, g)

    mean, std = X_train.mean(0), X_train.std(0)
    X_train = (X_train - mean) / std
    X_test = (X_test - mean) / std

    train_ds = TensorDataset(X_train, y_train)
    loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302

    torch.manual_seed(seed)
    model = RegressionMLP()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=75, gamma=0.3)
    loss_fn = nn.MSELoss()

    t0 = time.perf_counter()
    for epoch in range(EPOCHS):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        sched.step()
        if (epoch + 1) % 50 == 0:
            print(f"seed={seed} epoch={epoch + 1} test_rmse={rmse(model, X_test, y_test):.4f}")

    elapsed = time.perf_counter() - t0
    final = rmse(model, X_test, y_test)
    print(f"seed={seed} final_rmse={final:.4f} time={elapsed:.1f}s")
    return final


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    main(seed)
