"""Credit-default classifier: a small BatchNorm MLP on numeric tabular features.

Usage:
    python bug_01.py            # trains with CONFIG below and writes runs/credit_mlp/
"""
import json
import os
import random

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "csv_path": "data/credit_default.csv",
    "target": "default_next_month",
    "drop_cols": ["ID"],
    "dropout": 0.2,
    "lr": 1e-3,
    "weight_decay": 1e-5,
    "epochs": 40,
    "batch_size": 4,
    "eval_batch_size": 512,
    "seed": 13,
    "out_dir": "runs/credit_mlp",
}


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class TabularMLP(nn.Module):
    def __init__(self, n_features, n_classes=2, dropout=0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(128, 64, bias=False),
            nn.BatchNorm1d(128),  # expect: BN201
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(64, n_classes),
        )

    def forward(self, x):
        return self.net(x)


def load_tables(cfg):
    df = pd.read_csv(cfg["csv_path"])
    df = df.drop(columns=cfg["drop_cols"])
    y = df.pop(cfg["target"]).values.astype(np.int64)
    X = df.values.astype(np.float32)
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.2, stratify=y, random_state=cfg["seed"])
    scaler = StandardScaler().fit(X_tr)
    X_tr = scaler.transform(X_tr).astype(np.float32)
    X_va = scaler.transform(X_va).astype(np.float32)
    train_ds = TensorDataset(torch.from_numpy(X_tr), torch.from_numpy(y_tr))
    val_ds = TensorDataset(torch.from_numpy(X_va), torch.from_numpy(y_va))
    return train_ds, val_ds, X.shape[1]


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    probs, targets = [], []
    for xb, yb in loader:
        logits = model(xb.to(device))
        probs.append(torch.softmax(logits, dim=1)[:, 1].cpu())
        targets.append(yb)
    probs = torch.cat(probs).numpy()
    targets = torch.cat(targets).numpy()
    acc = float(((probs > 0.5).astype(np.int64) == targets).mean())
    return {"auc": roc_auc_score(targets, probs), "acc": acc}


def main(cfg=CONFIG):
    seed_everything(cfg["seed"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(cfg["out_dir"], exist_ok=True)

    train_ds, val_ds, n_features = load_tables(cfg)
    train_loader = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True)  # expect: BN301
    val_loader = DataLoader(val_ds, batch_size=cfg["eval_batch_size"], shuffle=False)

    model = TabularMLP(n_features, dropout=cfg["dropout"]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    criterion = nn.CrossEntropyLoss()

    best_auc, history = 0.0, []
    for epoch in range(cfg["epochs"]):
        model.train()
        running = 0.0
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            running += loss.item() * xb.size(0)
        metrics = evaluate(model, val_loader, device)
        metrics["train_loss"] = running / len(train_ds)
        history.append(metrics)
        print(f"epoch {epoch:03d} loss={metrics['train_loss']:.4f} auc={metrics['auc']:.4f}")
        if metrics["auc"] > best_auc:
            best_auc = metrics["auc"]
            torch.save(model.state_dict(), os.path.join(cfg["out_dir"], "best.pt"))

    with open(os.path.join(cfg["out_dir"], "history.json"), "w") as fh:
        json.dump(history, fh, indent=2)
    print(f"best val AUC: {best_auc:.4f}")


if __name__ == "__main__":
    main()
