"""Two-tower candidate retrieval with a frozen, pre-trained user tower.

The model overrides ``train()`` so that a frozen tower always stays in eval mode:
its BatchNorm running statistics cannot drift while the item tower is fine-tuned.
"""
import argparse
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from recsys_data import InteractionDataset  # project-local

log = logging.getLogger("retrieval")

EMB = 64
N_DENSE = 24  # price, popularity, freshness ... already standardised


class UserTower(nn.Module):
    def __init__(self, n_items, dim=EMB):
        super().__init__()
        self.item_emb = nn.Embedding(n_items, dim, padding_idx=0)
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.bn = nn.BatchNorm1d(dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, history):
        seq = self.item_emb(history)  # (N, L, dim)
        out, _ = self.gru(seq)  # (N, L, dim)
        last = out[:, -1]  # (N, dim)
        return F.normalize(self.proj(F.relu(self.bn(last))), dim=-1)


class ItemTower(nn.Module):
    def __init__(self, n_items, dim=EMB, n_dense=N_DENSE):
        super().__init__()
        self.id_emb = nn.Embedding(n_items, dim)
        self.dense_bn = nn.BatchNorm1d(n_dense)
        self.mlp = nn.Sequential(
            nn.Linear(dim + n_dense, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, dim),
        )

    def forward(self, item_id, dense):
        x = torch.cat([self.id_emb(item_id), self.dense_bn(dense)], dim=-1)  # (N, dim + n_dense)
        return F.normalize(self.mlp(x), dim=-1)


class Retrieval(nn.Module):
    def __init__(self, n_items, freeze_user=True):
        super().__init__()
        self.user = UserTower(n_items)
        self.item = ItemTower(n_items)
        self.freeze_user = freeze_user
        if freeze_user:
            self.user.requires_grad_(False)
            self.user.eval()

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_user:
            self.user.eval()
        return self

    def forward(self, history, item_id, dense):
        return self.user(history) @ self.item(item_id, dense).T / 0.05


def recall_at_k(model, loader, k=50):
    model.eval()
    hits = total = 0
    with torch.no_grad():
        for history, item_id, dense in loader:
            scores = model(history, item_id, dense)
            topk = scores.topk(k, dim=1).indices
            hits += (topk == torch.arange(len(history)).unsqueeze(1)).any(1).sum().item()
            total += len(history)
    return hits / total


def main():
    logging.basicConfig(level=logging.INFO)
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="train.parquet")
    ap.add_argument("--valid", default="valid.parquet")
    ap.add_argument("--user-ckpt", default="user_tower.pt")
    ap.add_argument("--epochs", type=int, default=4)
    args = ap.parse_args()

    train_ds, valid_ds = InteractionDataset(args.train), InteractionDataset(args.valid)
    train_dl = DataLoader(train_ds, batch_size=2048, shuffle=True, drop_last=True, num_workers=6)
    valid_dl = DataLoader(valid_ds, batch_size=1000, drop_last=True)

    model = Retrieval(train_ds.n_items)
    model.user.load_state_dict(torch.load(args.user_ckpt))
    opt = torch.optim.Adam(model.item.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        model.train()
        for history, item_id, dense in train_dl:
            logits = model(history, item_id, dense)
            loss = F.cross_entropy(logits, torch.arange(logits.size(0)))
            opt.zero_grad()
            loss.backward()
            opt.step()
        log.info("epoch %d loss %.4f recall@50 %.4f", epoch, loss.item(), recall_at_k(model, valid_dl))
        torch.save(model.item.state_dict(), f"item_tower_{epoch}.pt")


if __name__ == "__main__":
    main()
