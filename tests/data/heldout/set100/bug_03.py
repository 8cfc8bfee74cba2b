"""Tabular regression (house prices) with an MLP and early stopping."""
import copy
import math

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class EarlyStopping:
    def __init__(self, patience=15, min_delta=1e-4):
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.bad_epochs = 0

    def step(self, metric):
        if metric < self.best - self.min_delta:
            self.best = metric
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience


class MLP(nn.Module):
    def __init__(self, in_features, hidden=(256, 128), dropout=0.2):
        super().__init__()
        layers = []
        prev = in_features
        for h in hidden:
            layers += [nn.Linear(prev, h, bias=False), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            prev = h
        layers.append(nn.Linear(prev, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(-1)


def validate(model, loader):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += F.mse_loss(model(x), y, reduction="sum").item()
    return total / len(loader.dataset)


def fit(model, train_loader, val_loader, max_epochs=300, patience=15, lr=1e-3):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=5)
    stopper = EarlyStopping(patience=patience)
    best_loss, best_state = math.inf, copy.deepcopy(model.state_dict())

    model.train()
    for epoch in range(max_epochs):
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()

        val_loss = validate(model, val_loader)  # expect: BN103
        scheduler.step(val_loss)
        if val_loss < best_loss:
            best_loss = val_loss
            best_state = copy.deepcopy(model.state_dict())
        if stopper.step(val_loss):
            print(f"early stop at epoch {epoch}, best val mse {best_loss:.4f}")
            break

    model.load_state_dict(best_state)
    return model


def load_split(path, feature_cols, target_col, stats=None):
    df = pd.read_csv(path)
    x = df[feature_cols].to_numpy(dtype=np.float32)
    y = np.log1p(df[target_col].to_numpy(dtype=np.float32))
    if stats is None:
        stats = (x.mean(axis=0), x.std(axis=0) + 1e-6)
    x = (x - stats[0]) / stats[1]
    return TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), stats


def main():
    features = ["area", "rooms", "age", "lat", "lon", "floor", "dist_center"]
    train_ds, stats = load_split("train.csv", features, "price")
    val_ds, _ = load_split("val.csv", features, "price", stats)
    test_ds, _ = load_split("test.csv", features, "price", stats)

    train_loader = DataLoader(train_ds, batch_size=64, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=512)
    test_loader = DataLoader(test_ds, batch_size=512)

    model = fit(MLP(len(features)), train_loader, val_loader)
    print(f"test mse (log price): {validate(model, test_loader):.4f}")
    torch.save(model.state_dict(), "mlp_prices.pt")


if __name__ == "__main__":
    main()
