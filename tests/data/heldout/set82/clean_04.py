"""Smart-home activity recognition from sensor event tokens.

Two encoders are compared: a BiGRU and a small Transformer. BatchNorm is used
on channel-first views of the sequences; the Transformer path uses LayerNorm.
"""
import json
import math
import sys

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, random_split

cfg = {
    "data": "casas_milan_windows.json",
    "vocab": 256,
    "emb": 64,
    "hidden": 96,
    "classes": 15,
    "max_len": 100,
    "batch_size": 48,
    "epochs": 30,
    "lr": 1e-3,
}


class Windows(Dataset):
    def __init__(self, path, max_len):
        with open(path) as f:
            self.rows = json.load(f)
        self.max_len = max_len

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        toks = self.rows[i]["tokens"][-self.max_len:]
        toks = [0] * (self.max_len - len(toks)) + toks
        return torch.tensor(toks), self.rows[i]["label"]


class GRUEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.emb = nn.Embedding(c["vocab"], c["emb"], padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(c["emb"], momentum=0.01)
        self.gru = nn.GRU(c["emb"], c["hidden"], batch_first=True, bidirectional=True)
        self.out_bn = nn.BatchNorm1d(2 * c["hidden"], momentum=0.01)
        self.fc = nn.Linear(2 * c["hidden"], c["classes"])

    def forward(self, tokens):
        e = self.emb(tokens)                                  # (N, L, E)
        e = self.emb_bn(e.transpose(1, 2)).transpose(1, 2)    # normalise over E channels
        h, _ = self.gru(e)                                    # (N, L, 2H)
        h = self.out_bn(h.permute(0, 2, 1))                   # (N, 2H, L)
        return self.fc(h.amax(dim=2))


class PositionalEncoding(nn.Module):
    def __init__(self, d, max_len):
        super().__init__()
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe = torch.zeros(max_len, d)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe[: x.size(1)]


class TransformerEncoderModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.emb = nn.Embedding(c["vocab"], c["emb"], padding_idx=0)
        self.pos = PositionalEncoding(c["emb"], c["max_len"])
        layer = nn.TransformerEncoderLayer(c["emb"], nhead=4, dim_feedforward=4 * c["emb"],
                                           batch_first=True, dropout=0.1)
        self.encoder = nn.TransformerEncoder(layer, num_layers=3)
        self.norm = nn.LayerNorm(c["emb"])
        self.token_bn = nn.BatchNorm1d(c["emb"])
        self.fc = nn.Linear(c["emb"], c["classes"])

    def forward(self, tokens):
        pad = tokens.eq(0)
        x = self.encoder(self.pos(self.emb(tokens)), src_key_padding_mask=pad)   # (N, L, E)
        x = self.norm(x)
        n, l, e = x.shape
        x = self.token_bn(x.reshape(n * l, e)).reshape(n, l, e)
        x = x.masked_fill(pad.unsqueeze(-1), 0.0).sum(1) / (~pad).sum(1, keepdim=True).clamp(min=1)
        return self.fc(x)


def train_and_eval(model, train_dl, val_dl, c, device):
    opt = torch.optim.AdamW(model.parameters(), lr=c["lr"])
    crit = nn.CrossEntropyLoss()
    best = 0.0
    for epoch in range(c["epochs"]):
        model.train()
        for toks, y in train_dl:
            toks, y = toks.to(device), y.to(device)
            loss = crit(model(toks), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        hit = tot = 0
        with torch.inference_mode():
            for toks, y in val_dl:
                hit += (model(toks.to(device)).argmax(1).cpu() == y).sum().item()
                tot += len(y)
        best = max(best, hit / tot)
        print(f"  [{type(model).__name__}] epoch {epoch} val acc {hit / tot:.3f}")
    return best


if __name__ == "__main__":
    if len(sys.argv) > 1:
        cfg["data"] = sys.argv[1]
    torch.manual_seed(3)
    ds = Windows(cfg["data"], cfg["max_len"])
    n_val = len(ds) // 10
    train_ds, val_ds = random_split(ds, [len(ds) - n_val, n_val])
    train_dl = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=256)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    results = {}
    for cls in (GRUEncoder, TransformerEncoderModel):
        results[cls.__name__] = train_and_eval(cls(cfg).to(device), train_dl, val_dl, cfg, device)
    print(json.dumps(results, indent=2))
