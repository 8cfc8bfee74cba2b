"""Tabular churn model: MLP with BatchNorm, trained with a small Trainer class."""
import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


@dataclass
class Config:
    features_path: str = "data/churn_features.npz"
    hidden: int = 256
    depth: int = 3
    batch_size: int = 512
    epochs: int = 30
    lr: float = 3e-3
    weight_decay: float = 1e-4
    out_dir: str = "runs/churn"


class MLP(nn.Module):
    def __init__(self, in_features, hidden, depth, dropout=0.1):
        super().__init__()
        layers = []
        width = in_features
        for _ in range(depth):
            layers += [
                nn.Linear(width, hidden, bias=False),
                nn.BatchNorm1d(hidden),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout),
            ]
            width = hidden
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(-1)


@contextlib.contextmanager
def inference_session(model):
    """Run a block for inference and put the model back the way it was."""
    was_training = model.training
    try:
        yield model
    finally:
        model.train(was_training)


def load_arrays(path):
    data = np.load(path)
    x_tr = torch.from_numpy(data["x_train"]).float()
    y_tr = torch.from_numpy(data["y_train"]).float()
    x_va = torch.from_numpy(data["x_val"]).float()
    y_va = torch.from_numpy(data["y_val"]).float()
    mean, std = x_tr.mean(0), x_tr.std(0).clamp_min(1e-6)
    return (x_tr - mean) / std, y_tr, (x_va - mean) / std, y_va


def binary_auc(scores, labels):
    order = torch.argsort(scores, descending=True)
    labels = labels[order]
    pos = labels.sum()
    neg = labels.numel() - pos
    if pos == 0 or neg == 0:
        return float("nan")
    tps = torch.cumsum(labels, 0)
    fps = torch.cumsum(1 - labels, 0)
    tpr = torch.cat([torch.zeros(1), tps / pos])
    fpr = torch.cat([torch.zeros(1), fps / neg])
    return torch.trapz(tpr, fpr).item()


class Trainer:
    def __init__(self, model, cfg, train_loader, val_loader, device):
        self.model = model
        self.cfg = cfg
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.device = device
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr,
                                           weight_decay=cfg.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=cfg.lr, epochs=cfg.epochs,
            steps_per_epoch=len(train_loader))
        self.history = []

    def train_epoch(self):
        self.model.train()
        total = 0.0
        for x, y in self.train_loader:
            x, y = x.to(self.device), y.to(self.device)
            loss = F.binary_cross_entropy_with_logits(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            total += loss.item() * y.size(0)
        return total / len(self.train_loader.dataset)

    def validate(self):
        scores, labels = [], []
        with inference_session(self.model), torch.no_grad():
            for x, y in self.val_loader:
                logits = self.model(x.to(self.device))  # expect: BN101
                scores.append(torch.sigmoid(logits).cpu())
                labels.append(y)
        scores, labels = torch.cat(scores), torch.cat(labels)
        acc = ((scores > 0.5).float() == labels).float().mean().item()
        return {"auc": binary_auc(scores, labels), "acc": acc}

    def fit(self):
        out = Path(self.cfg.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        best = -1.0
        for epoch in range(self.cfg.epochs):
            train_loss = self.train_epoch()
            metrics = self.validate()
            metrics.update(epoch=epoch, train_loss=train_loss)
            self.history.append(metrics)
            print(json.dumps(metrics))
            if metrics["auc"] > best:
                best = metrics["auc"]
                torch.save(self.model.state_dict(), out / "best.pt")
        (out / "history.json").write_text(json.dumps(self.history, indent=2))
        return best


def main():
    cfg = Config()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x_tr, y_tr, x_va, y_va = load_arrays(cfg.features_path)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=cfg.batch_size,
                              shuffle=True, drop_last=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=2048)
    model = MLP(x_tr.shape[1], cfg.hidden, cfg.depth).to(device)
    best = Trainer(model, cfg, train_loader, val_loader, device).fit()
    print(f"best val AUC {best:.4f}")


if __name__ == "__main__":
    main()
