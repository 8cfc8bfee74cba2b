"""Churn prediction MLP with early stopping; the restored best model is exported to ONNX."""
import copy
import math

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, TensorDataset


class ChurnMLP(nn.Module):
    def __init__(self, in_features, hidden=128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(0.25),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def validate(model, loader):
    model.eval()
    scores, labels = [], []
    with torch.no_grad():
        for x, y in loader:
            scores.append(torch.sigmoid(model(x)))
            labels.append(y)
    return roc_auc_score(torch.cat(labels).numpy(), torch.cat(scores).numpy())


def train_with_early_stopping(model, train_loader, val_loader, max_epochs=200, patience=10):
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    pos_weight = torch.tensor(3.0)
    best_auc, best_state, bad = -math.inf, None, 0
    for epoch in range(max_epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(x), y, pos_weight=pos_weight)
            loss.backward()
            optimizer.step()

        auc = validate(model, val_loader)
        if auc > best_auc + 1e-4:
            best_auc, best_state, bad = auc, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= patience:
                print(f"stopping at epoch {epoch}")
                break
    model.load_state_dict(best_state)
    return model, best_auc


def to_dataset(df, cols, mean, std):
    x = ((df[cols].to_numpy(np.float32) - mean) / std).astype(np.float32)
    y = df["churned"].to_numpy(np.float32)
    return TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


def main():
    train_df = pd.read_csv("churn_train.csv")
    val_df = pd.read_csv("churn_val.csv")
    cols = [c for c in train_df.columns if c not in ("customer_id", "churned")]
    mean = train_df[cols].to_numpy(np.float32).mean(axis=0)
    std = train_df[cols].to_numpy(np.float32).std(axis=0) + 1e-6

    train_loader = DataLoader(to_dataset(train_df, cols, mean, std), batch_size=128,
                              shuffle=True, drop_last=True)
    val_loader = DataLoader(to_dataset(val_df, cols, mean, std), batch_size=1024)

    model, auc = train_with_early_stopping(ChurnMLP(len(cols)), train_loader, val_loader)
    print(f"best val AUC {auc:.4f}")

    model.eval()
    dummy = torch.randn(1, len(cols))
    torch.onnx.export(model, dummy, "churn_mlp.onnx", input_names=["features"],
                      output_names=["logit"], dynamic_axes={"features": {0: "batch"}})
    np.savez("churn_norm.npz", mean=mean, std=std)


if __name__ == "__main__":
    main()
