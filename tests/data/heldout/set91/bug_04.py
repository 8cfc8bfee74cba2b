"""Deep & Cross Network (DCN-v2, parallel) for CTR prediction on Criteo-like data.

16 categorical fields, each embedded in 16 dims, plus 13 dense features.
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "num_fields": 16,
    "vocab_size": 100_000,
    "embed_dim": 16,
    "num_dense": 13,
    "cross_layers": 3,
    "deep_dims": [400, 400],
    "batch_size": 4,
    "lr": 1e-3,
    "epochs": 3,
}


class CrossLayer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.w = nn.Linear(dim, dim)

    def forward(self, x0, x):
        return x0 * self.w(x) + x


class DCN(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        f, e = cfg["num_fields"], cfg["embed_dim"]
        self.embedding = nn.Embedding(cfg["vocab_size"], e)
        self.emb_bn = nn.BatchNorm1d(e)
        self.dense_bn = nn.BatchNorm1d(cfg["num_dense"])
        d_in = f * e + cfg["num_dense"]
        self.cross = nn.ModuleList([CrossLayer(d_in) for _ in range(cfg["cross_layers"])])
        h1, h2 = cfg["deep_dims"]
        self.deep = nn.Sequential(
            nn.Linear(d_in, h1, bias=False),
            nn.BatchNorm1d(400, 0.9),  # expect: BN206
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(h1, h2, bias=False),
            nn.BatchNorm1d(h2),
            nn.ReLU(),
            nn.Dropout(0.2),
        )
        self.out = nn.Linear(d_in + h2, 1)

    def forward(self, sparse, dense):
        emb = self.embedding(sparse)            # (B, num_fields, embed_dim)
        emb = self.emb_bn(emb)  # expect: BN203
        x0 = torch.cat([emb.flatten(1), self.dense_bn(dense)], dim=1)
        xc = x0
        for layer in self.cross:
            xc = layer(x0, xc)
        xd = self.deep(x0)
        return self.out(torch.cat([xc, xd], dim=1)).squeeze(1)


class ClickLogDataset(Dataset):
    """Synthetic stand-in for a hashed Criteo split."""

    def __init__(self, n, cfg, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.sparse = torch.randint(0, cfg["vocab_size"], (n, cfg["num_fields"]), generator=g)
        self.dense = torch.log1p(torch.rand(n, cfg["num_dense"], generator=g) * 100)
        logit = self.dense.sum(1) * 0.05 - 0.6 + 0.01 * (self.sparse[:, 0] % 7).float()
        self.label = torch.bernoulli(torch.sigmoid(logit), generator=g)

    def __len__(self):
        return self.label.numel()

    def __getitem__(self, i):
        return self.sparse[i], self.dense[i], self.label[i]


def auc(scores, labels):
    order = torch.argsort(scores, descending=True)
    labels = labels[order]
    pos = labels.sum()
    neg = labels.numel() - pos
    tp = torch.cumsum(labels, 0)
    fp = torch.cumsum(1 - labels, 0)
    return torch.trapz(tp / pos, fp / neg).item()


def main():
    model = DCN(CONFIG)
    train_ds = ClickLogDataset(200_000, CONFIG, seed=1)
    val_ds = ClickLogDataset(20_000, CONFIG, seed=2)
    train_loader = DataLoader(train_ds, batch_size=CONFIG["batch_size"], shuffle=True, num_workers=2)  # expect: BN301
    val_loader = DataLoader(val_ds, batch_size=4096)
    opt = torch.optim.Adam(model.parameters(), lr=CONFIG["lr"])
    bce = nn.BCEWithLogitsLoss()

    for epoch in range(CONFIG["epochs"]):
        model.train()
        for step, (sparse, dense, y) in enumerate(train_loader):
            loss = bce(model(sparse, dense), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 5000 == 0:
                print(f"epoch {epoch} step {step} logloss {loss.item():.4f}")

        model.eval()
        scores, labels = [], []
        with torch.no_grad():
            for sparse, dense, y in val_loader:
                scores.append(torch.sigmoid(model(sparse, dense)))
                labels.append(y)
        print(f"epoch {epoch} val AUC {auc(torch.cat(scores), torch.cat(labels)):.4f}")


if __name__ == "__main__":
    main()
