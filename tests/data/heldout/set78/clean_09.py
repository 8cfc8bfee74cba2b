"""Tabular regression (house prices) with entity embeddings and a BatchNorm MLP.

Inputs: numeric matrix (batch, N_NUMERIC), low-cardinality categoricals
(batch, len(SMALL_CATS)) that share one table, and high-cardinality columns
(batch, len(BIG_CATS)) with one embedding table each.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_NUMERIC = 24
SMALL_CATS = [5, 4, 8, 3, 6, 7, 4, 5]
BIG_CATS = {"neighbourhood": 250, "zipcode": 900, "builder": 400}
SMALL_DIM = 4


def emb_dim(cardinality):
    return min(32, (cardinality + 1) // 2)


class HousePriceNet(nn.Module):
    def __init__(self, hidden=(512, 256, 64)):
        super().__init__()
        self.num_bn = nn.BatchNorm1d(N_NUMERIC)
        self.small_emb = nn.Embedding(sum(SMALL_CATS), SMALL_DIM)
        self.register_buffer("small_offsets",
                             torch.tensor([0] + SMALL_CATS[:-1]).cumsum(0))
        self.small_bn = nn.BatchNorm1d(len(SMALL_CATS) * SMALL_DIM)
        self.big_emb = nn.ModuleList([nn.Embedding(c, emb_dim(c)) for c in BIG_CATS.values()])
        big_width = sum(emb_dim(c) for c in BIG_CATS.values())
        self.big_bn = nn.BatchNorm1d(big_width)

        layers = []
        width = N_NUMERIC + len(SMALL_CATS) * SMALL_DIM + big_width
        for h in hidden:
            layers.append(nn.Linear(width, h, bias=False))
            layers.append(nn.BatchNorm1d(h))
            layers.append(nn.ReLU())
            layers.append(nn.Dropout(0.1))
            width = h
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(width, 1)

    def forward(self, num, small, big):
        n = self.num_bn(num)
        s = self.small_emb(small + self.small_offsets)
        s = self.small_bn(s.flatten(1))
        b = torch.cat([emb(big[:, i]) for i, emb in enumerate(self.big_emb)], dim=1)
        b = self.big_bn(b)
        return self.out(self.mlp(torch.cat([n, s, b], dim=1))).squeeze(1)


def synthetic(n_rows):
    num = torch.randn(n_rows, N_NUMERIC)
    small = torch.stack([torch.randint(0, c, (n_rows,)) for c in SMALL_CATS], dim=1)
    big = torch.stack([torch.randint(0, c, (n_rows,)) for c in BIG_CATS.values()], dim=1)
    price = 12.0 + 0.5 * num[:, 0] - 0.3 * num[:, 1] + 0.01 * big[:, 0].float() / 10
    return TensorDataset(num, small, big, price + 0.1 * torch.randn(n_rows))


def rmse(model, loader):
    model.eval()
    se, count = 0.0, 0
    with torch.no_grad():
        for num, small, big, y in loader:
            se += F.mse_loss(model(num, small, big), y, reduction="sum").item()
            count += y.numel()
    return (se / count) ** 0.5


def main():
    train_dl = DataLoader(synthetic(30000), batch_size=256, shuffle=True, drop_last=True)
    val_dl = DataLoader(synthetic(5000), batch_size=1024)
    model = HousePriceNet()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2)
    for epoch in range(25):
        model.train()
        for num, small, big, y in train_dl:
            loss = F.mse_loss(model(num, small, big), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        val = rmse(model, val_dl)
        sched.step(val)
        print(f"epoch {epoch} train_mse {loss.item():.4f} val_rmse {val:.4f}")


if __name__ == "__main__":
    main()
