"""Deep interest CTR model for the feed ranking service.

Per-field embeddings are normalised per embedding dimension (BatchNorm over the
flattened (batch * fields, emb) rows), the click history is encoded with a
Conv1d over the sequence axis, and a BatchNorm MLP tower produces the logit.
"""
from __future__ import annotations

import argparse
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

FIELD_VOCABS = [100_003, 50_021, 2_003, 1_009, 367, 25, 12, 8]
NUM_FIELDS = len(FIELD_VOCABS)
EMB_DIM = 24
NUM_DENSE = 16
HIST_LEN = 40
ITEM_VOCAB = 400_009
TOWER = [512, 256, 128]


class ParquetImpressions(Dataset):
    def __init__(self, path: str):
        import pandas as pd
        df = pd.read_parquet(path)
        self.sparse = torch.tensor(df[[f"f{i}" for i in range(NUM_FIELDS)]].values, dtype=torch.long)
        self.dense = torch.tensor(df[[f"d{i}" for i in range(NUM_DENSE)]].values, dtype=torch.float32)
        self.hist = torch.tensor(pad_histories(df["history"], HIST_LEN), dtype=torch.long)
        self.label = torch.tensor(df["clicked"].values, dtype=torch.float32)

    def __len__(self) -> int:
        return self.label.shape[0]

    def __getitem__(self, i: int):
        return self.sparse[i], self.dense[i], self.hist[i], self.label[i]


def pad_histories(col, length: int) -> List[List[int]]:
    return [list(h[-length:]) + [0] * (length - len(h[-length:])) for h in col]


def mlp_tower(in_dim: int, widths: Sequence[int], dropout: float = 0.2) -> nn.Sequential:
    layers = []
    dims = [in_dim, *widths]
    for d_in, d_out in zip(dims[:-1], dims[1:]):
        layers.append(nn.Linear(d_in, d_out, bias=False))
        layers.append(nn.BatchNorm1d(d_out, 1e-3, momentum=0.01))
        layers.append(nn.PReLU(d_out))
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(dims[-1], 1))
    return nn.Sequential(*layers)


class DeepInterestCTR(nn.Module):
    def __init__(self, emb_dim: int = EMB_DIM, hist_channels: int = 64):
        super().__init__()
        self.field_emb = nn.ModuleList([nn.Embedding(v, emb_dim) for v in FIELD_VOCABS])
        self.emb_bn = nn.BatchNorm1d(emb_dim)
        self.item_emb = nn.Embedding(ITEM_VOCAB, emb_dim, padding_idx=0)
        self.hist_bn = nn.BatchNorm1d(emb_dim)
        self.hist_conv = nn.Conv1d(emb_dim, hist_channels, kernel_size=3, padding=1, bias=False)
        self.hist_conv_bn = nn.BatchNorm1d(hist_channels)
        self.dense_bn = nn.BatchNorm1d(NUM_DENSE)
        in_dim = NUM_FIELDS * emb_dim + hist_channels + NUM_DENSE
        self.tower = mlp_tower(in_dim, TOWER)

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor, hist: torch.Tensor) -> torch.Tensor:
        n = sparse.shape[0]
        emb = torch.stack([table(sparse[:, i]) for i, table in enumerate(self.field_emb)], dim=1)
        emb = self.emb_bn(emb.reshape(n * NUM_FIELDS, -1)).view(n, NUM_FIELDS, -1)

        h = self.item_emb(hist)                      # (N, L, E)
        h = self.hist_bn(h.permute(0, 2, 1))         # (N, E, L)
        h = F.relu(self.hist_conv_bn(self.hist_conv(h)))
        mask = (hist != 0).unsqueeze(1).float()
        h = (h * mask).sum(dim=2) / mask.sum(dim=2).clamp_min(1.0)

        x = torch.cat([emb.flatten(1), h, self.dense_bn(dense)], dim=1)
        return self.tower(x).squeeze(1)


def evaluate(model: nn.Module, loader: DataLoader, device: str) -> float:
    model.train(mode=False)
    total, n = 0.0, 0
    with torch.no_grad():
        for sparse, dense, hist, label in loader:
            logit = model(sparse.to(device), dense.to(device), hist.to(device))
            total += F.binary_cross_entropy_with_logits(logit, label.to(device), reduction="sum").item()
            n += label.numel()
    return total / max(n, 1)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--train", default="data/impressions_train.parquet")
    p.add_argument("--val", default="data/impressions_val.parquet")
    p.add_argument("--batch-size", type=int, default=2048)
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader = DataLoader(ParquetImpressions(args.train), batch_size=args.batch_size, shuffle=True, num_workers=6)
    val_loader = DataLoader(ParquetImpressions(args.val), batch_size=8192)
    model = DeepInterestCTR().to(device)
    opt = torch.optim.Adagrad(model.parameters(), lr=0.02)

    for epoch in range(args.epochs):
        model.train()
        for step, (sparse, dense, hist, label) in enumerate(train_loader):
            logit = model(sparse.to(device), dense.to(device), hist.to(device))
            loss = F.binary_cross_entropy_with_logits(logit, label.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 2000 == 0:
                print(f"epoch {epoch} step {step}: train logloss {loss.item():.4f}")
        print(f"epoch {epoch}: val logloss {evaluate(model, val_loader, device):.5f}")
    torch.save(model.state_dict(), "din_ctr.pt")


if __name__ == "__main__":
    main()
