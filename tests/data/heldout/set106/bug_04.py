"""PatchTST (supervised) re-implementation for long-horizon forecasting on ETTh1.

Channel-independent patching + Transformer encoder with BatchNorm, following
"A Time Series is Worth 64 Words" (Nie et al., 2023).

    python bug_04.py train --data ETTh1.csv
    python bug_04.py export --ckpt checkpoints/patchtst.pt
"""
import argparse
import os
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


@dataclass
class Config:
    seq_len: int = 336
    pred_len: int = 96
    enc_in: int = 7
    patch_len: int = 16
    stride: int = 8
    d_model: int = 128
    n_heads: int = 16
    d_ff: int = 256
    e_layers: int = 3
    dropout: float = 0.2
    batch_size: int = 128
    lr: float = 1e-4
    epochs: int = 100


class Transpose(nn.Module):
    def __init__(self, *dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.transpose(*self.dims)


class TSTEncoderLayer(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, dropout):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, n_heads, dropout=dropout, batch_first=True)
        self.dropout_attn = nn.Dropout(dropout)
        self.norm_attn = nn.BatchNorm1d(d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model))
        self.dropout_ffn = nn.Dropout(dropout)
        self.norm_ffn = nn.Sequential(
            Transpose(1, 2),
            nn.BatchNorm1d(d_model, 0.1),  # expect: BN206
            Transpose(1, 2),
        )

    def forward(self, src):
        # src: [bs * nvars x patch_num x d_model]
        src2, _ = self.self_attn(src, src, src, need_weights=False)
        src = src + self.dropout_attn(src2)
        src = self.norm_attn(src)  # expect: BN203
        src2 = self.ff(src)
        src = src + self.dropout_ffn(src2)
        src = self.norm_ffn(src)
        return src


class PatchTST(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.patch_num = (cfg.seq_len - cfg.patch_len) // cfg.stride + 1
        self.W_P = nn.Linear(cfg.patch_len, cfg.d_model)
        self.W_pos = nn.Parameter(torch.empty(self.patch_num, cfg.d_model).uniform_(-0.02, 0.02))
        self.dropout = nn.Dropout(cfg.dropout)
        self.layers = nn.ModuleList([TSTEncoderLayer(cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.dropout) for _ in range(cfg.e_layers)])
        self.head = nn.Sequential(nn.Flatten(start_dim=-2), nn.Linear(cfg.d_model * self.patch_num, cfg.pred_len))

    def forward(self, x):
        # x: [bs x seq_len x nvars]
        means = x.mean(1, keepdim=True).detach()
        stdev = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + 1e-5).detach()
        x = (x - means) / stdev
        x = x.permute(0, 2, 1)  # [bs x nvars x seq_len]
        bs, nvars, _ = x.shape
        x = x.unfold(dimension=-1, size=self.cfg.patch_len, step=self.cfg.stride)  # [bs x nvars x patch_num x patch_len]
        x = x.reshape(bs * nvars, self.patch_num, self.cfg.patch_len)
        z = self.dropout(self.W_P(x) + self.W_pos)  # [bs*nvars x patch_num x d_model]
        for layer in self.layers:
            z = layer(z)
        z = z.reshape(bs, nvars, self.patch_num, self.cfg.d_model).permute(0, 1, 3, 2)
        out = self.head(z)  # [bs x nvars x pred_len]
        out = out.permute(0, 2, 1)
        return out * stdev + means


class ETTDataset(Dataset):
    def __init__(self, csv_path, cfg, split="train"):
        df = pd.read_csv(csv_path)
        data = df.iloc[:, 1:].to_numpy(dtype=np.float32)
        borders = {"train": (0, 12 * 30 * 24), "val": (12 * 30 * 24 - cfg.seq_len, 16 * 30 * 24)}
        lo, hi = borders[split]
        train_part = data[: 12 * 30 * 24]
        self.data = (data[lo:hi] - train_part.mean(0)) / train_part.std(0)
        self.seq_len, self.pred_len = cfg.seq_len, cfg.pred_len

    def __len__(self):
        return len(self.data) - self.seq_len - self.pred_len + 1

    def __getitem__(self, i):
        s = i + self.seq_len
        return torch.from_numpy(self.data[i:s]), torch.from_numpy(self.data[s:s + self.pred_len])


def train(args, cfg):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(ETTDataset(args.data, cfg, "train"), batch_size=cfg.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(ETTDataset(args.data, cfg, "val"), batch_size=cfg.batch_size)
    model = PatchTST(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    mse = nn.MSELoss()
    best = float("inf")
    os.makedirs("checkpoints", exist_ok=True)
    for epoch in range(cfg.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            opt.zero_grad()
            loss = mse(model(x), y)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val = np.mean([mse(model(x.to(device)), y.to(device)).item() for x, y in val_loader])
        print(f"epoch {epoch}: val mse {val:.4f}")
        if val < best:
            best = val
            torch.save({"cfg": asdict(cfg), "state_dict": model.state_dict()}, "checkpoints/patchtst.pt")


def export(args):
    ckpt = torch.load(args.ckpt, map_location="cpu")
    cfg = Config(**ckpt["cfg"])
    model = PatchTST(cfg)
    model.load_state_dict(ckpt["state_dict"])
    dummy = torch.randn(1, cfg.seq_len, cfg.enc_in)
    torch.onnx.export(model, dummy, args.onnx, input_names=["x"], output_names=["y"], opset_version=17)  # expect: BN104
    print("exported", args.onnx)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["train", "export"])
    parser.add_argument("--data", default="ETTh1.csv")
    parser.add_argument("--ckpt", default="checkpoints/patchtst.pt")
    parser.add_argument("--onnx", default="patchtst.onnx")
    args = parser.parse_args()
    if args.mode == "train":
        train(args, Config())
    else:
        export(args)
