"""
Week 3 exercise (solution): fit y = sin(x) + noise with an MLP, with and
without BatchNorm1d, and compare train / validation curves.

Note on the data: 1001 training points with batch size 100 leaves a last
batch with a single sample, which BatchNorm cannot normalise in training
mode -> drop_last=True on the training loader.
"""
import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import TensorDataset, DataLoader


@dataclass
class Config:
    n_train: int = 1001
    n_val: int = 201
    batch_size: int = 100
    epochs: int = 300
    lr: float = 1e-2
    hidden: int = 64
    depth: int = 3


cfg = Config()
torch.manual_seed(42)

x = torch.linspace(-math.pi, math.pi, cfg.n_train).unsqueeze(1)
y = torch.sin(x) + 0.1 * torch.randn_like(x)
x_val = torch.rand(cfg.n_val, 1) * 2 * math.pi - math.pi
y_val = torch.sin(x_val)

train_loader = DataLoader(TensorDataset(x, y), batch_size=cfg.batch_size, shuffle=True, drop_last=True)
val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=cfg.batch_size)


def mlp(hidden, depth, use_bn):
    layers = []
    in_f = 1
    for _ in range(depth):
        layers.append(nn.Linear(in_f, hidden, bias=not use_bn))
        if use_bn:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.Tanh())
        in_f = hidden
    layers.append(nn.Linear(in_f, 1))
    return nn.Sequential(*layers)


def evaluate(model, loader, loss_fn):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for xb, yb in loader:
            total += loss_fn(model(xb), yb).item() * len(xb)
            n += len(xb)
    return total / n


def fit(model, epochs, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    train_hist, val_hist = [], []
    for epoch in range(epochs):
        model.train()
        running, seen = 0.0, 0
        for xb, yb in train_loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += loss.item() * len(xb)
            seen += len(xb)
        train_hist.append(running / seen)
        val_hist.append(evaluate(model, val_loader, loss_fn))
    return train_hist, val_hist


results = {}
for use_bn in (False, True):
    model = mlp(cfg.hidden, cfg.depth, use_bn)
    results[use_bn] = (model, *fit(model, cfg.epochs, cfg.lr))
    print(f"bn={use_bn}: final val mse {results[use_bn][2][-1]:.5f}")

x_plot = torch.linspace(-math.pi, math.pi, 400).unsqueeze(1)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
for use_bn, (model, tr, va) in results.items():
    label = "MLP + BN" if use_bn else "MLP"
    ax1.plot(va, label=label)
    model.eval()
    with torch.no_grad():
        ax2.plot(x_plot.squeeze(), model(x_plot).squeeze(), label=label)
ax1.set_yscale("log")
ax1.set_title("validation loss")
ax1.legend()
ax2.scatter(x.squeeze(), y.squeeze(), s=2, alpha=0.3, label="data")
ax2.legend()
plt.tight_layout()
plt.savefig("week3_solution.png")
