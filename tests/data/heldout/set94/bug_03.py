"""Tabular regression: MLP trainer with early stopping and best-weight restore."""
import copy
import logging

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

logger = logging.getLogger("tabular")

HIDDEN = 256
BATCH_SIZE = 512
PATIENCE = 8


class MLPRegressor(nn.Module):
    def __init__(self, in_features, hidden=HIDDEN, depth=3, dropout=0.1):
        super().__init__()
        layers = []
        width = in_features
        for _ in range(depth):
            layers.append(nn.Linear(width, hidden, bias=False))
            layers.append(nn.BatchNorm1d(hidden, hidden))  # expect: BN206
            layers.append(nn.SiLU())
            layers.append(nn.Dropout(dropout))
            width = hidden
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(-1)


class EarlyStopping:
    def __init__(self, patience=PATIENCE, min_delta=1e-4):
        self.patience = patience
        self.min_delta = min_delta
        self.best = float("inf")
        self.bad_epochs = 0

    def step(self, metric):
        if metric < self.best - self.min_delta:
            self.best = metric
            self.bad_epochs = 0
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= self.patience


class TabularTrainer:
    def __init__(self, model, lr=1e-3, max_epochs=200, device="cpu"):
        self.model = model.to(device)
        self.device = device
        self.max_epochs = max_epochs
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, weight_decay=1e-5)
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.optimizer, mode="min", factor=0.5, patience=3)
        self.stopper = EarlyStopping()
        self.best_state = None
        self.loss_fn = nn.SmoothL1Loss()

    def train_epoch(self, loader):
        self.model.train()
        total = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(self.device), yb.to(self.device)
            pred = self.model(xb)
            loss = self.loss_fn(pred, yb)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.item() * len(xb)
        return total / len(loader.dataset)

    def validate(self, loader):
        self.model.eval()
        errs = []
        with torch.no_grad():
            for xb, yb in loader:
                pred = self.model(xb.to(self.device))
                errs.append((pred.cpu() - yb).abs())
        return torch.cat(errs).mean().item()

    def fit(self, train_loader, val_loader):
        for epoch in range(self.max_epochs):
            tr = self.train_epoch(train_loader)
            mae = self.validate(val_loader)
            self.scheduler.step(mae)
            logger.info("epoch %d train %.4f val_mae %.4f", epoch, tr, mae)
            if mae <= self.stopper.best:
                self.best_state = copy.deepcopy(self.model.state_dict())
            if self.stopper.step(mae):
                logger.info("early stop at epoch %d", epoch)
                break
        # restore best weights and hand back an inference-ready model
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        self.model.eval  # expect: BN102
        return self.model

    def predict(self, features):
        self.model.eval()
        x = torch.as_tensor(features, dtype=torch.float32, device=self.device)
        with torch.inference_mode():
            return self.model(x).cpu().numpy()


def load_frame(path, target="price"):
    df = pd.read_csv(path)
    y = df.pop(target).to_numpy(np.float32)
    X = df.select_dtypes("number").fillna(0).to_numpy(np.float32)
    mu, sd = X.mean(0), X.std(0) + 1e-6
    return (X - mu) / sd, y


def main():
    logging.basicConfig(level=logging.INFO)
    X, y = load_frame("data/houses.csv")
    n_val = len(X) // 5
    train_ds = TensorDataset(torch.from_numpy(X[n_val:]), torch.from_numpy(y[n_val:]))
    val_ds = TensorDataset(torch.from_numpy(X[:n_val]), torch.from_numpy(y[:n_val]))
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=1024)

    trainer = TabularTrainer(MLPRegressor(X.shape[1]))
    model = trainer.fit(train_loader, val_loader)
    torch.save(model.state_dict(), "mlp_regressor.pt")
    preds = trainer.predict(X[:10])
    print(np.c_[preds, y[:10]])


if __name__ == "__main__":
    main()
