"""
Time-series transformer (TST, Zerveas et al. 2021) with BatchNorm instead of LayerNorm.

Trained on one GPU with bf16 autocast and gradient accumulation:
micro-batch 16 x 4 accumulation steps = 64 sequences per optimizer step.
"""
import argparse
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


@dataclass
class TrainConfig:
    train_file: str = "data/train.npz"
    val_file: str = "data/val.npz"
    seq_len: int = 96
    d_model: int = 128
    n_heads: int = 8
    n_layers: int = 3
    dim_ff: int = 256
    dropout: float = 0.1
    micro_batch: int = 16
    accum_steps: int = 4
    epochs: int = 100
    lr: float = 1e-3


class WindowDataset(Dataset):
    def __init__(self, path):
        data = np.load(path)
        self.x = torch.from_numpy(data["x"]).float()   # (N, L, C)
        self.y = torch.from_numpy(data["y"]).long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class TransformerBatchNormEncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward, dropout):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.norm1 = nn.BatchNorm1d(d_model, eps=1e-5)
        self.norm2 = nn.BatchNorm1d(d_model, eps=1e-5)

    def forward(self, src):                      # src: (N, L, E)
        attn, _ = self.self_attn(src, src, src, need_weights=False)
        src = src + self.dropout(attn)
        src = self.norm1(src.permute(0, 2, 1)).permute(0, 2, 1)   # BN over E: (N, E, L)
        ff = self.linear2(self.dropout(F.gelu(self.linear1(src))))
        src = src + self.dropout(ff)
        n, l, e = src.shape
        src = self.norm2(src.reshape(n * l, e)).reshape(n, l, e)  # BN over E: (N*L, E)
        return src


class TSTClassifier(nn.Module):
    def __init__(self, n_channels, n_classes, cfg):
        super().__init__()
        self.project = nn.Linear(n_channels, cfg.d_model, bias=False)
        self.input_norm = nn.BatchNorm1d(cfg.d_model)
        self.pos = nn.Parameter(torch.zeros(1, cfg.seq_len, cfg.d_model))
        self.layers = nn.ModuleList([
            TransformerBatchNormEncoderLayer(cfg.d_model, cfg.n_heads, cfg.dim_ff, cfg.dropout) for _ in range(cfg.n_layers)
        ])
        self.head = nn.Linear(cfg.d_model * cfg.seq_len, n_classes)

    def forward(self, x):                        # x: (N, L, C)
        h = self.project(x) * math.sqrt(self.pos.shape[-1])
        h = self.input_norm(h.transpose(1, 2)).transpose(1, 2)
        h = h + self.pos
        for layer in self.layers:
            h = layer(h)
        return self.head(F.gelu(h).flatten(1))


def evaluate(model, loader, device):
    model.eval()
    correct = n = 0
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        for x, y in loader:
            pred = model(x.to(device)).argmax(-1)
            correct += (pred.cpu() == y).sum().item()
            n += len(y)
    return correct / n


def train(cfg: TrainConfig):
    device = torch.device("cuda")
    train_ds, val_ds = WindowDataset(cfg.train_file), WindowDataset(cfg.val_file)
    train_loader = DataLoader(train_ds, batch_size=cfg.micro_batch, shuffle=True, drop_last=True, num_workers=2)
    val_loader = DataLoader(val_ds, batch_size=1, shuffle=False)

    model = TSTClassifier(train_ds.x.shape[-1], int(train_ds.y.max()) + 1, cfg).to(device)
    optimizer = torch.optim.RAdam(model.parameters(), lr=cfg.lr)
    best = 0.0
    for epoch in range(cfg.epochs):
        model.train()
        optimizer.zero_grad()
        for i, (x, y) in enumerate(train_loader):
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(x.to(device)), y.to(device)) / cfg.accum_steps
            loss.backward()
            if (i + 1) % cfg.accum_steps == 0:
                nn.utils.clip_grad_norm_(model.parameters(), 4.0)
                optimizer.step()
                optimizer.zero_grad()
        acc = evaluate(model, val_loader, device)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "tst_best.pt")
        print(f"epoch {epoch}: val acc {acc:.4f} (best {best:.4f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--lr", type=float, default=TrainConfig.lr)
    a = parser.parse_args()
    train(TrainConfig(epochs=a.epochs, lr=a.lr))
