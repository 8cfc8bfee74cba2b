"""Generic supervised Trainer with fit / evaluate / predict / export, used
for a tabular credit-risk model.
"""
import argparse
import copy
import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ResidualMLPBlock(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim, bias=False)
        self.bn1 = nn.BatchNorm1d(dim)
        self.fc2 = nn.Linear(dim, dim, bias=False)
        self.bn2 = nn.BatchNorm1d(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        h = self.drop(F.silu(self.bn1(self.fc1(x))))
        return F.silu(x + self.bn2(self.fc2(h)))


class RiskNet(nn.Module):
    def __init__(self, n_in=40, dim=128, depth=3):
        super().__init__()
        self.inp = nn.Sequential(nn.Linear(n_in, dim, bias=False), nn.BatchNorm1d(dim), nn.SiLU())
        self.blocks = nn.Sequential(*[ResidualMLPBlock(dim) for _ in range(depth)])
        self.out = nn.Linear(dim, 1)

    def forward(self, x):
        return self.out(self.blocks(self.inp(x))).squeeze(-1)


class Trainer:
    def __init__(self, model, lr=1e-3, weight_decay=1e-4, patience=5, device="cpu"):
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
        self.patience = patience
        self.best_state = None

    def _step(self, x, y):
        logits = self.model(x)
        loss = F.binary_cross_entropy_with_logits(logits, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():
            acc = ((logits > 0).float() == y).float().mean().item()
        return loss.item(), acc

    def fit(self, train_loader, val_loader, epochs):
        best_loss, bad = math.inf, 0
        for epoch in range(epochs):
            self.model.train()
            stats = [self._step(x.to(self.device), y.to(self.device)) for x, y in train_loader]
            tr_loss = sum(s[0] for s in stats) / len(stats)
            tr_acc = sum(s[1] for s in stats) / len(stats)
            val = self.evaluate(val_loader)
            print(f"epoch {epoch}: train {tr_loss:.4f}/{tr_acc:.3f} val {val['loss']:.4f}/{val['acc']:.3f}")
            if val["loss"] < best_loss:
                best_loss, bad = val["loss"], 0
                self.best_state = copy.deepcopy(self.model.state_dict())
            else:
                bad += 1
                if bad >= self.patience:
                    break
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        return best_loss

    @torch.no_grad()
    def evaluate(self, loader):
        self.model.eval()
        total, correct, n = 0.0, 0, 0
        for x, y in loader:
            x, y = x.to(self.device), y.to(self.device)
            logits = self.model(x)
            total += F.binary_cross_entropy_with_logits(logits, y, reduction="sum").item()
            correct += ((logits > 0).float() == y).sum().item()
            n += y.numel()
        return {"loss": total / n, "acc": correct / n}

    @torch.no_grad()
    def predict(self, loader):
        self.model.eval()
        return torch.cat([torch.sigmoid(self.model(x.to(self.device))).cpu() for (x,) in loader])

    def export(self, path, n_in):
        self.model.eval()
        example = torch.randn(2, n_in, device=self.device)
        torch.onnx.export(
            self.model, example, str(path),
            input_names=["features"], output_names=["logit"],
            dynamic_axes={"features": {0: "batch"}, "logit": {0: "batch"}},
            opset_version=17,
        )


def make_split(n, n_in, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=g)
    w = torch.randn(n_in, generator=g)
    y = ((x @ w + 0.5 * torch.randn(n, generator=g)) > 0).float()
    return x, y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--export", default="export/risknet.onnx")
    args = parser.parse_args()

    n_in = 40
    x_tr, y_tr = make_split(20000, n_in, 0)
    x_va, y_va = make_split(4000, n_in, 1)
    x_te, _ = make_split(3001, n_in, 2)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=1024)
    test_loader = DataLoader(TensorDataset(x_te), batch_size=1000)

    trainer = Trainer(RiskNet(n_in), device="cuda" if torch.cuda.is_available() else "cpu")
    best = trainer.fit(train_loader, val_loader, args.epochs)
    print(f"best val loss {best:.4f}")
    scores = trainer.predict(test_loader)
    print(f"predicted default rate: {(scores > 0.5).float().mean():.3f}")
    Path(args.export).parent.mkdir(parents=True, exist_ok=True)
    trainer.export(args.export, n_in)


if __name__ == "__main__":
    main()
