"""Tabular classifier for the churn data set (features pre-scaled to .npy)."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

HIDDEN = 128


class TabularMLP(nn.Module):
    def __init__(self, n_features, n_classes, dropout=0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, HIDDEN, bias=False),
            nn.BatchNorm1d(HIDDEN, HIDDEN),  # expect: BN206
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(HIDDEN, HIDDEN // 2),  # expect: BN204
            nn.BatchNorm1d(HIDDEN // 2),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(HIDDEN // 2, n_classes),
        )

    def forward(self, x):
        return self.net(x)


def load_split(prefix):
    x = torch.from_numpy(np.load(f"{prefix}_x.npy")).float()
    y = torch.from_numpy(np.load(f"{prefix}_y.npy")).long()
    return TensorDataset(x, y)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct, seen = 0, 0
    for x, y in loader:
        pred = model(x).argmax(dim=1)
        correct += (pred == y).sum().item()
        seen += y.numel()
    return correct / max(seen, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/churn")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    train_ds = load_split(f"{args.data}/train")
    val_ds = load_split(f"{args.data}/val")
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=1024)

    n_features = train_ds.tensors[0].shape[1]
    model = TabularMLP(n_features, n_classes=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        acc = evaluate(model, val_loader)
        print(f"epoch {epoch:02d}  val_acc={acc:.4f}")

    torch.save(model.state_dict(), "churn_mlp.pt")


if __name__ == "__main__":
    main()
