"""Click-through-rate model for tabular ad logs.

Numeric features arrive as a float matrix (batch, N_NUMERIC). Categorical
columns arrive as an int matrix (batch, n_cat_columns); every column gets its
own slice of one shared embedding table via per-column offsets.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_NUMERIC = 13
CARDINALITIES = [1460, 583, 305, 24, 12517, 633, 3, 93, 5683, 3194, 27, 14992, 5461, 10, 5652, 2173]
EMB_DIM = 16


class CTRNet(nn.Module):
    def __init__(self, n_numeric=N_NUMERIC, cardinalities=CARDINALITIES, emb_dim=EMB_DIM):
        super().__init__()
        offsets = np.concatenate([[0], np.cumsum(cardinalities)[:-1]])
        self.register_buffer("offsets", torch.as_tensor(offsets, dtype=torch.long))
        self.num_bn = nn.BatchNorm1d(n_numeric)
        self.cat_encoder = nn.Sequential(
            nn.Embedding(int(sum(cardinalities)), emb_dim),
            nn.BatchNorm1d(emb_dim),  # expect: BN203
            nn.Dropout(0.05),
        )
        in_dim = n_numeric + len(cardinalities) * emb_dim
        self.mlp = nn.Sequential(
            nn.Linear(in_dim, 256, bias=False),
            nn.BatchNorm2d(256),  # expect: BN202
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(256, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Dropout(0.2),
        )
        self.out = nn.Linear(128, 1)

    def forward(self, x_num, x_cat):
        num = self.num_bn(torch.log1p(x_num.clamp_min(0)))
        emb = self.cat_encoder(x_cat + self.offsets)
        h = torch.cat([num, emb.flatten(1)], dim=1)
        return self.out(self.mlp(h)).squeeze(-1)


def synthetic_logs(n_rows, seed=0):
    g = torch.Generator().manual_seed(seed)
    x_num = torch.rand(n_rows, N_NUMERIC, generator=g) * 100
    cols = [torch.randint(0, c, (n_rows, 1), generator=g) for c in CARDINALITIES]
    x_cat = torch.cat(cols, dim=1)
    y = (torch.rand(n_rows, generator=g) < 0.25).float()
    return TensorDataset(x_num, x_cat, y)


def log_loss(model, loader):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for x_num, x_cat, y in loader:
            p = model(x_num, x_cat)
            total += F.binary_cross_entropy_with_logits(p, y, reduction="sum").item()
            n += y.numel()
    return total / n


def main():
    train_ds = synthetic_logs(200_000, seed=1)
    valid_ds = synthetic_logs(20_000, seed=2)
    train_dl = DataLoader(train_ds, batch_size=1024, shuffle=True, drop_last=True)
    valid_dl = DataLoader(valid_ds, batch_size=4096)

    model = CTRNet()
    dense, sparse = [], []
    for name, p in model.named_parameters():
        (sparse if name.startswith("cat_encoder.0") else dense).append(p)
    opt = torch.optim.Adam([
        {"params": dense, "lr": 1e-3, "weight_decay": 1e-5},
        {"params": sparse, "lr": 3e-3},
    ])

    for epoch in range(5):
        model.train()
        for step, (x_num, x_cat, y) in enumerate(train_dl):
            loss = F.binary_cross_entropy_with_logits(model(x_num, x_cat), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 50 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        print(f"epoch {epoch} valid logloss {log_loss(model, valid_dl):.4f}")


if __name__ == "__main__":
    main()
