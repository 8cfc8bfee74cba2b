"""Experiment runner: every hyper-parameter comes from a JSON experiment file.

Usage: python clean_05.py experiments/exp_017.json
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ResidualMLPBlock(nn.Module):
    def __init__(self, dim, dropout):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim, bias=False)
        self.bn1 = nn.BatchNorm1d(dim)
        self.fc2 = nn.Linear(dim, dim, bias=False)
        self.bn2 = nn.BatchNorm1d(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        h = self.drop(F.relu(self.bn1(self.fc1(x))))
        h = self.bn2(self.fc2(h))
        return F.relu(x + h)


class ResidualMLP(nn.Module):
    def __init__(self, in_dim, dim, depth, num_classes, dropout=0.1):
        super().__init__()
        self.proj = nn.Linear(in_dim, dim)
        self.blocks = nn.Sequential(*[ResidualMLPBlock(dim, dropout) for _ in range(depth)])
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        return self.head(self.blocks(self.proj(x)))


def load_experiment(path):
    with open(path) as fh:
        cfg = json.load(fh)
    required = ["batch_size", "num_samples", "in_dim", "dim", "depth", "num_classes", "epochs", "lr"]
    missing = [k for k in required if k not in cfg]
    if missing:
        raise SystemExit(f"{path}: missing keys {missing}")
    return cfg


def load_tensors(cfg):
    data_path = Path(cfg.get("data", "data/features.pt"))
    if data_path.exists():
        blob = torch.load(data_path)
        return blob["x"], blob["y"]
    g = torch.Generator().manual_seed(cfg.get("seed", 0))
    x = torch.randn(cfg["num_samples"], cfg["in_dim"], generator=g)
    y = torch.randint(0, cfg["num_classes"], (cfg["num_samples"],), generator=g)
    return x, y


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__)
    cfg = load_experiment(argv[1])
    x, y = load_tensors(cfg)
    n_val = len(x) // 10
    train_ds = TensorDataset(x[n_val:], y[n_val:])
    val_ds = TensorDataset(x[:n_val], y[:n_val])

    train_loader = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, drop_last=cfg["drop_last"])
    val_loader = DataLoader(val_ds, batch_size=cfg["eval_batch_size"])

    model = ResidualMLP(cfg["in_dim"], cfg["dim"], cfg["depth"], cfg["num_classes"])
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])

    history = []
    for epoch in range(cfg["epochs"]):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()

        model.eval()
        correct = 0
        with torch.no_grad():
            for xb, yb in val_loader:
                correct += (model(xb).argmax(1) == yb).sum().item()
        history.append({"epoch": epoch, "loss": loss.item(), "val_acc": correct / len(val_ds)})
        print(history[-1])

    out_dir = Path(cfg.get("out_dir", "runs")) / Path(argv[1]).stem
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out_dir / "model.pt")
    (out_dir / "history.json").write_text(json.dumps(history, indent=2))


if __name__ == "__main__":
    main(sys.argv)
