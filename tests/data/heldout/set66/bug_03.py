"""DCN-v2 click-through-rate model for the ads ranking service (Criteo-style
features: 13 dense counters, 26 hashed categorical fields).
"""
from __future__ import annotations

import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_DENSE = 13
NUM_SPARSE = 26
HASH_BUCKETS = 1_000_003
EMB_DIM = 16
DEEP_HIDDEN = (1024, 512, 256)
CROSS_LAYERS = 3


class CriteoShards(Dataset):
    """Pre-tensorised day shards: dense (N, 13) float, sparse (N, 26) int64, label (N,)."""

    def __init__(self, root: str, days):
        parts = [torch.load(os.path.join(root, f"day_{d}.pt")) for d in days]
        self.dense = torch.cat([p["dense"] for p in parts])
        self.sparse = torch.cat([p["sparse"] for p in parts])
        self.label = torch.cat([p["label"] for p in parts])

    def __len__(self) -> int:
        return self.label.shape[0]

    def __getitem__(self, idx: int):
        return self.dense[idx], self.sparse[idx], self.label[idx]


class CrossLayerV2(nn.Module):
    def __init__(self, dim: int, rank: int = 64):
        super().__init__()
        self.u = nn.Linear(dim, rank, bias=False)
        self.v = nn.Linear(rank, dim)

    def forward(self, x0: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return x0 * self.v(self.u(x)) + x


class DCNv2(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(HASH_BUCKETS, EMB_DIM)
        self.register_buffer("offsets", torch.arange(NUM_SPARSE, dtype=torch.long) * 7919)
        self.emb_norm = nn.BatchNorm1d(EMB_DIM)
        self.dense_norm = nn.BatchNorm1d(NUM_DENSE)
        in_dim = NUM_DENSE + NUM_SPARSE * EMB_DIM
        self.cross = nn.ModuleList([CrossLayerV2(in_dim) for _ in range(CROSS_LAYERS)])
        deep, prev = [], in_dim
        for width in DEEP_HIDDEN:
            deep += [nn.Linear(prev, width, bias=False), nn.BatchNorm1d(width, 0.9), nn.ReLU(inplace=True)]  # expect: BN206
            prev = width
        self.deep = nn.Sequential(*deep)
        self.out = nn.Linear(in_dim + prev, 1)

    def forward(self, dense: torch.Tensor, sparse: torch.Tensor) -> torch.Tensor:
        ids = (sparse + self.offsets) % HASH_BUCKETS
        emb = self.emb_norm(self.embedding(ids))  # expect: BN203
        x0 = torch.cat([self.dense_norm(torch.log1p(dense.clamp_min(0))), emb.flatten(1)], dim=1)
        x = x0
        for layer in self.cross:
            x = layer(x0, x)
        return self.out(torch.cat([x, self.deep(x0)], dim=1)).squeeze(-1)


def evaluate(model: nn.Module, loader: DataLoader, device: str) -> dict:
    model.eval()
    losses, n, pos_scores, neg_scores = 0.0, 0, [], []
    with torch.no_grad():
        for dense, sparse, label in loader:
            logits = model(dense.to(device), sparse.to(device))
            label = label.to(device).float()
            losses += F.binary_cross_entropy_with_logits(logits, label, reduction="sum").item()
            n += label.numel()
            pos_scores.append(logits[label > 0.5].cpu())
            neg_scores.append(logits[label <= 0.5].cpu())
    pos, neg = torch.cat(pos_scores), torch.cat(neg_scores)
    sample = neg[torch.randint(len(neg), (min(len(neg), 200_000),))]
    auc = (pos[:, None] > sample[None, :]).float().mean().item() if len(pos) else float("nan")
    return {"logloss": losses / max(n, 1), "auc": auc}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="/data/criteo/tensors")
    p.add_argument("--batch-size", type=int, default=8192)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-3)
    args = p.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_ds = CriteoShards(args.root, range(0, 22))
    val_ds = CriteoShards(args.root, [22])
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=8)
    val_loader = DataLoader(val_ds, batch_size=32768, num_workers=8)

    model = DCNv2().to(device)
    sparse_opt = torch.optim.SparseAdam(list(model.embedding.parameters()), lr=args.lr) if model.embedding.sparse else None
    dense_params = [p for n, p in model.named_parameters() if not n.startswith("embedding.")]
    opt = torch.optim.Adam(dense_params if sparse_opt else model.parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        model.train()
        for step, (dense, sparse, label) in enumerate(train_loader):
            logits = model(dense.to(device), sparse.to(device))
            loss = F.binary_cross_entropy_with_logits(logits, label.to(device).float())
            opt.zero_grad(set_to_none=True)
            if sparse_opt:
                sparse_opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sparse_opt:
                sparse_opt.step()
            if step % 1000 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        metrics = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: val logloss {metrics['logloss']:.5f} auc {metrics['auc']:.4f}")
        torch.save(model.state_dict(), f"dcnv2_epoch{epoch}.pt")


if __name__ == "__main__":
    main()
