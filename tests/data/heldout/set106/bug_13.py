"""Two-tower retrieval model: fine-tune the item tower on a new catalogue while the
user tower (pre-trained on last quarter's logs) stays frozen.
"""
import argparse
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from recsys_data import InteractionDataset  # project-local loader

logger = logging.getLogger("two_tower")

N_ITEM_FIELDS = 12  # category, brand, price bucket, ... each embedded to FIELD_DIM
FIELD_DIM = 16
OUT_DIM = 64


class UserTower(nn.Module):
    def __init__(self, n_items, dim=OUT_DIM):
        super().__init__()
        self.hist_emb = nn.Embedding(n_items, dim, padding_idx=0)
        self.mlp = nn.Sequential(
            nn.Linear(dim, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, dim),
        )

    def forward(self, hist):
        mask = (hist > 0).unsqueeze(-1).float()
        pooled = (self.hist_emb(hist) * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # (N, dim)
        return F.normalize(self.mlp(pooled), dim=-1)


class ItemTower(nn.Module):
    def __init__(self, field_cards, dim=OUT_DIM):
        super().__init__()
        self.fields = nn.ModuleList([nn.Embedding(c, FIELD_DIM) for c in field_cards])
        self.field_bn = nn.BatchNorm2d(N_ITEM_FIELDS)  # expect: BN202
        self.mlp = nn.Sequential(
            nn.Linear(N_ITEM_FIELDS * FIELD_DIM, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, dim),
        )

    def forward(self, item_feats):
        flat = torch.cat([emb(item_feats[:, i]) for i, emb in enumerate(self.fields)], dim=1)
        x = flat.view(flat.size(0), N_ITEM_FIELDS, FIELD_DIM)  # one "channel" per field
        x = self.field_bn(x)
        return F.normalize(self.mlp(x.flatten(1)), dim=-1)


class TwoTower(nn.Module):
    def __init__(self, n_items, field_cards):
        super().__init__()
        self.user_tower = UserTower(n_items)
        self.item_tower = ItemTower(field_cards)
        self.log_temp = nn.Parameter(torch.tensor(2.3))

    def forward(self, hist, item_feats):
        u = self.user_tower(hist)
        v = self.item_tower(item_feats)
        return u @ v.t() * self.log_temp.exp()


def main():
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="interactions.parquet")
    p.add_argument("--user-ckpt", default="user_tower.pt")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=1024)
    args = p.parse_args()

    ds = InteractionDataset(args.data)
    loader = DataLoader(ds, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=4)

    model = TwoTower(ds.n_items, ds.field_cardinalities)
    model.user_tower.load_state_dict(torch.load(args.user_ckpt))
    # freeze the user tower: no gradients, BN running stats fixed
    model.user_tower.requires_grad_(False)
    model.user_tower.eval()

    optim = torch.optim.Adagrad([p for p in model.parameters() if p.requires_grad], lr=0.05)
    for epoch in range(args.epochs):
        model.train()  # expect: BN105
        for step, (hist, item_feats) in enumerate(loader):
            logits = model(hist, item_feats)
            labels = torch.arange(logits.size(0))
            loss = F.cross_entropy(logits, labels)
            optim.zero_grad()
            loss.backward()
            optim.step()
            if step % 500 == 0:
                logger.info("epoch %d step %d in-batch softmax loss %.4f", epoch, step, loss.item())
        torch.save(model.item_tower.state_dict(), f"item_tower_e{epoch}.pt")


if __name__ == "__main__":
    main()
