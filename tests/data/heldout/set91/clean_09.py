"""Next-basket recommendation for a grocery app.

Session encoder: item embeddings -> batch_first GRU -> BatchNorm over the
hidden channels (channels moved to dim 1 first) -> attention pooling.
A small Transformer over the user's past baskets uses LayerNorm.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from grocery.data import BasketSessions  # yields (items[L], hist[P, D], user_feats[U], target)

N_ITEMS = 40_000
D = 64
SEQ_LEN = 64
USER_FEATS = 24
HPARAMS = {"batch_size": 512, "lr": 1e-3, "epochs": 10, "k": 10}


class SessionEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(N_ITEMS + 1, D, padding_idx=0)
        self.gru = nn.GRU(D, D, batch_first=True)
        self.bn = nn.BatchNorm1d(D)
        self.attn = nn.Linear(D, 1)

    def forward(self, items):
        h, _ = self.gru(self.emb(items))               # (B, L, D)
        h = self.bn(h.permute(0, 2, 1)).permute(0, 2, 1)  # BN over D, statistics over B and L
        mask = (items > 0).unsqueeze(-1)
        w = self.attn(h).masked_fill(~mask, -1e9).softmax(dim=1)
        return (w * h).sum(dim=1)                       # (B, D)


class HistoryEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(D, nhead=4, dim_feedforward=4 * D, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, num_layers=2)
        self.norm = nn.LayerNorm(D)                     # (B, P, D): LayerNorm, not BatchNorm

    def forward(self, hist):
        return self.norm(self.enc(hist)).mean(dim=1)


class NextBasket(nn.Module):
    def __init__(self):
        super().__init__()
        self.session = SessionEncoder()
        self.history = HistoryEncoder()
        self.user = nn.Sequential(nn.Linear(USER_FEATS, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
                                  nn.Linear(128, D))
        self.fuse = nn.Sequential(nn.Linear(3 * D, D, bias=False), nn.BatchNorm1d(D), nn.ReLU())

    def forward(self, items, hist, user_feats):
        s = self.session(items)
        q = self.fuse(torch.cat([s, self.history(hist), self.user(user_feats)], dim=1))
        return q @ self.session.emb.weight[1:].T


def hit_rate(model, loader, k):
    model.eval()
    hits, n = 0, 0
    with torch.no_grad():
        for items, hist, user, target in loader:
            top = model(items, hist, user).topk(k, dim=1).indices + 1
            hits += (top == target[:, None]).any(dim=1).sum().item()
            n += len(target)
    return hits / n


def main(hp=HPARAMS):
    model = NextBasket()
    train_loader = DataLoader(BasketSessions("train", seq_len=SEQ_LEN), batch_size=hp["batch_size"],
                              shuffle=True, num_workers=6, drop_last=True)
    val_loader = DataLoader(BasketSessions("val", seq_len=SEQ_LEN), batch_size=hp["batch_size"])
    opt = torch.optim.AdamW(model.parameters(), lr=hp["lr"], weight_decay=0.01)

    for epoch in range(hp["epochs"]):
        model.train()
        for step, (items, hist, user, target) in enumerate(train_loader):
            logits = model(items, hist, user)
            loss = F.cross_entropy(logits, target - 1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        hr = hit_rate(model, val_loader, hp["k"])
        print(f"epoch {epoch}: HR@{hp['k']} = {hr:.4f}")
    torch.save(model.state_dict(), "next_basket.pt")


if __name__ == "__main__":
    main()
