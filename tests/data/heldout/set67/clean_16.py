"""Two-tower recommender (YouTube-DNN style) trained with in-batch sampled softmax.

The user tower averages the embeddings of recently watched items; the item tower
averages tag embeddings with an EmbeddingBag.
"""
import argparse

import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

EMB_DIM = 64
TOWER_DIM = 128
HISTORY_LEN = 50


def tower(in_dim, out_dim=TOWER_DIM):
    return nn.Sequential(
        nn.Linear(in_dim, 2 * out_dim, bias=False),
        nn.BatchNorm1d(2 * out_dim),
        nn.ReLU(),
        nn.Linear(2 * out_dim, out_dim),
    )


class TwoTower(nn.Module):
    def __init__(self, n_items, n_tags, n_countries):
        super().__init__()
        self.item_emb = nn.Embedding(n_items, EMB_DIM, padding_idx=0)
        self.country_emb = nn.Embedding(n_countries, EMB_DIM)
        self.tag_bag = nn.EmbeddingBag(n_tags, EMB_DIM, mode="mean", padding_idx=0)
        self.history_norm = nn.BatchNorm1d(EMB_DIM)
        self.tag_norm = nn.BatchNorm1d(EMB_DIM)
        self.user_tower = tower(2 * EMB_DIM)
        self.item_tower = tower(2 * EMB_DIM)

    def user_vector(self, history, country):
        mask = (history > 0).float().unsqueeze(-1)
        hist = (self.item_emb(history) * mask).sum(1) / mask.sum(1).clamp(min=1.0)   # (N, EMB_DIM)
        feats = torch.cat([self.history_norm(hist), self.country_emb(country)], dim=1)
        return F.normalize(self.user_tower(feats), dim=-1)

    def item_vector(self, item, tags):
        tag_vec = self.tag_norm(self.tag_bag(tags))
        feats = torch.cat([self.item_emb(item), tag_vec], dim=1)
        return F.normalize(self.item_tower(feats), dim=-1)

    def forward(self, history, country, item, tags):
        return self.user_vector(history, country), self.item_vector(item, tags)


class WatchDataset(Dataset):
    def __init__(self, path):
        frame = pd.read_parquet(path)
        self.history = torch.tensor(frame["history"].tolist(), dtype=torch.long)[:, :HISTORY_LEN]
        self.country = torch.tensor(frame["country"].to_numpy(), dtype=torch.long)
        self.item = torch.tensor(frame["item"].to_numpy(), dtype=torch.long)
        self.tags = torch.tensor(frame["tags"].tolist(), dtype=torch.long)

    def __len__(self):
        return len(self.item)

    def __getitem__(self, i):
        return self.history[i], self.country[i], self.item[i], self.tags[i]


@torch.no_grad()
def recall_at_k(model, loader, device, k=50):
    model.eval()
    hits = total = 0
    for history, country, item, tags in loader:
        users, items = model(history.to(device), country.to(device), item.to(device), tags.to(device))
        topk = (users @ items.T).topk(k, dim=1).indices
        hits += (topk == torch.arange(len(users), device=device)[:, None]).any(1).sum().item()
        total += len(users)
    return hits / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", default="watches_train.parquet")
    parser.add_argument("--valid", default="watches_valid.parquet")
    parser.add_argument("--n-items", type=int, default=200_000)
    parser.add_argument("--n-tags", type=int, default=5_000)
    parser.add_argument("--n-countries", type=int, default=250)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--temperature", type=float, default=0.05)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = TwoTower(args.n_items, args.n_tags, args.n_countries).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_loader = DataLoader(WatchDataset(args.train), batch_size=args.batch_size, shuffle=True,
                              num_workers=4, drop_last=True)
    valid_loader = DataLoader(WatchDataset(args.valid), batch_size=2048, drop_last=True)

    for epoch in range(5):
        model.train()
        for step, (history, country, item, tags) in enumerate(train_loader):
            users, items = model(history.to(device), country.to(device), item.to(device), tags.to(device))
            logits = users @ items.T / args.temperature
            loss = F.cross_entropy(logits, torch.arange(len(users), device=device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 1000 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        print(f"epoch {epoch}: in-batch recall@50 {recall_at_k(model, valid_loader, device):.4f}")


if __name__ == "__main__":
    main()
