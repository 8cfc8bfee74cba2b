"""Credit-default style risk model with a random train/validation split."""
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split

N_ROWS = 10_000
N_NUMERIC = 24
N_CATEGORIES = 12
EMB_DIM = 8


class RiskModel(nn.Module):
    def __init__(self, n_numeric=N_NUMERIC, n_categories=N_CATEGORIES, emb_dim=EMB_DIM, hidden=128):
        super().__init__()
        self.embedding = nn.Embedding(n_categories, emb_dim)
        self.input_bn = nn.BatchNorm1d(n_numeric)
        self.mlp = nn.Sequential(
            nn.Linear(n_numeric + emb_dim, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.SiLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, numeric, category):
        x = torch.cat([self.input_bn(numeric), self.embedding(category)], dim=1)
        return self.mlp(x).squeeze(1)


def build_dataset(seed=0):
    g = torch.Generator().manual_seed(seed)
    numeric = torch.randn(N_ROWS, N_NUMERIC, generator=g) * torch.linspace(0.5, 20.0, N_NUMERIC)
    category = torch.randint(0, N_CATEGORIES, (N_ROWS,), generator=g)
    logit = numeric[:, 0] / 0.5 - numeric[:, 3] / 4.0 + (category % 3 == 0).float()
    target = torch.bernoulli(torch.sigmoid(logit), generator=g)
    return TensorDataset(numeric, category, target)


def train_epoch(model, loader, optimizer, loss_fn):
    model.train()
    for numeric, category, target in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(numeric, category), target)
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def evaluate(model, loader):
    scores, targets = [], []
    for numeric, category, target in loader:
        scores.append(torch.sigmoid(model(numeric, category)))  # expect: BN101
        targets.append(target)
    scores, targets = torch.cat(scores), torch.cat(targets)
    preds = (scores > 0.5).float()
    accuracy = (preds == targets).float().mean().item()
    brier = ((scores - targets) ** 2).mean().item()
    return accuracy, brier


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    full = build_dataset()
    train_set, val_set = random_split(full, [9001, 999], generator=torch.Generator().manual_seed(42))
    train_loader = DataLoader(train_set, batch_size=50, shuffle=True)  # expect: BN302
    val_loader = DataLoader(val_set, batch_size=500)

    model = RiskModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(args.epochs):
        loss = train_epoch(model, train_loader, optimizer, loss_fn)
        acc, brier = evaluate(model, val_loader)
        print(f"epoch {epoch}: loss {loss:.4f} acc {acc:.3f} brier {brier:.4f}")


if __name__ == "__main__":
    main()
