import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class TabularDataset(Dataset):
    def __init__(self, n_rows, n_num, n_cat, cardinality):
        rng = np.random.default_rng(0)
        self.num = torch.tensor(rng.normal(size=(n_rows, n_num)), dtype=torch.float32)
        self.cat = torch.tensor(rng.integers(0, cardinality, size=(n_rows, n_cat)))
        self.y = torch.tensor(rng.integers(0, 2, size=n_rows), dtype=torch.float32)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.num[i], self.cat[i], self.y[i]


class TabularNet(nn.Module):
    def __init__(self, n_num, n_cat, cardinality, emb_dim=8, hidden=128):
        super().__init__()
        self.embs = nn.ModuleList(nn.Embedding(cardinality, emb_dim) for _ in range(n_cat))
        self.num_bn = nn.BatchNorm1d(n_num)
        in_dim = n_num + n_cat * emb_dim
        layers = []
        for width in (hidden, hidden // 2):
            layers += [nn.Linear(in_dim, width, bias=False), nn.BatchNorm1d(width), nn.SiLU(), nn.Dropout(0.1)]
            in_dim = width
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(hidden // 2, 1)

    def forward(self, num, cat):
        embs = [e(cat[:, i]) for i, e in enumerate(self.embs)]
        x = torch.cat([self.num_bn(num)] + embs, dim=1)
        return self.out(self.mlp(x)).squeeze(-1)


def predict_proba(model, num, cat):
    model.train(mode=False)
    with torch.inference_mode():
        return torch.sigmoid(model(num, cat))


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--rows", type=int, default=10001)
    return p.parse_args()


def main():
    args = parse()
    ds = TabularDataset(args.rows, n_num=6, n_cat=3, cardinality=20)
    loader = DataLoader(ds, batch_size=args.batch_size, shuffle=True, drop_last=True)
    model = TabularNet(6, 3, 20)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = nn.BCEWithLogitsLoss()
    for epoch in range(args.epochs):
        model.train()
        for num, cat, y in loader:
            loss = lossf(model(num, cat), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    probs = predict_proba(model, ds.num[:3], ds.cat[:3])
    print(probs)


if __name__ == "__main__":
    main()
