"""PatchTST-style forecaster with BatchNorm in the encoder (as in the official repo).

BatchNorm1d normalises over d_model, so the (B*nvars, patch_num, d_model) activations
are transposed to (B*nvars, d_model, patch_num) around every norm.
"""
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

CFG = dict(seq_len=512, pred_len=192, n_vars=21, patch_len=16, stride=8, d_model=128, n_heads=8, d_ff=256, n_layers=3, dropout=0.2, batch_size=64, lr=1e-4, epochs=50)


class Transpose(nn.Module):
    def __init__(self, dim0, dim1):
        super().__init__()
        self.dim0, self.dim1 = dim0, dim1

    def forward(self, x):
        return x.transpose(self.dim0, self.dim1).contiguous()


def batch_norm_seq(d_model):
    """BatchNorm over the feature dim of a (B, L, D) tensor."""
    return nn.Sequential(Transpose(1, 2), nn.BatchNorm1d(d_model), Transpose(1, 2))


class EncoderLayer(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, dropout):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_heads, dropout=dropout, batch_first=True)
        self.norm_attn = batch_norm_seq(d_model)
        self.ffn = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model))
        self.norm_ffn = nn.BatchNorm1d(d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        a, _ = self.attn(x, x, x, need_weights=False)
        x = self.norm_attn(x + self.drop(a))
        x = x + self.drop(self.ffn(x))
        x = self.norm_ffn(x.transpose(1, 2)).transpose(1, 2)
        return x


class PatchTST(nn.Module):
    def __init__(self, seq_len, pred_len, n_vars, patch_len, stride, d_model, n_heads, d_ff, n_layers, dropout, **_):
        super().__init__()
        self.patch_len, self.stride = patch_len, stride
        self.pad = nn.ReplicationPad1d((0, stride))
        self.patch_num = (seq_len - patch_len) // stride + 2
        self.embed = nn.Linear(patch_len, d_model)
        self.pos = nn.Parameter(torch.randn(1, self.patch_num, d_model) * 0.02)
        self.layers = nn.ModuleList(EncoderLayer(d_model, n_heads, d_ff, dropout) for _ in range(n_layers))
        self.head = nn.Linear(d_model * self.patch_num, pred_len)
        self.d_model = d_model

    def forward(self, x):  # x: (B, seq_len, n_vars)
        mu = x.mean(1, keepdim=True)
        sd = (x.var(1, keepdim=True, unbiased=False) + 1e-5).sqrt()
        x = ((x - mu) / sd).permute(0, 2, 1)  # (B, n_vars, seq_len)
        B, V, _ = x.shape
        x = self.pad(x).unfold(-1, self.patch_len, self.stride)  # (B, V, P, patch_len)
        z = self.embed(x.reshape(B * V, self.patch_num, self.patch_len)) + self.pos
        for layer in self.layers:
            z = layer(z)
        y = self.head(z.reshape(B, V, -1))  # (B, V, pred_len)
        return y.permute(0, 2, 1) * sd + mu


class WeatherWindows(Dataset):
    def __init__(self, arr, seq_len, pred_len):
        self.arr = torch.from_numpy(arr.astype(np.float32))
        self.seq_len, self.pred_len = seq_len, pred_len

    def __len__(self):
        return len(self.arr) - self.seq_len - self.pred_len + 1

    def __getitem__(self, i):
        j = i + self.seq_len
        return self.arr[i:j], self.arr[j:j + self.pred_len]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npy", default="weather.npy")
    ap.add_argument("--onnx", default="patchtst_weather.onnx")
    args = ap.parse_args()

    data = np.load(args.npy)
    n_train = int(0.7 * len(data))
    mean, std = data[:n_train].mean(0), data[:n_train].std(0) + 1e-8
    data = (data - mean) / std
    train_ds = WeatherWindows(data[:n_train], CFG["seq_len"], CFG["pred_len"])
    val_ds = WeatherWindows(data[n_train - CFG["seq_len"]:], CFG["seq_len"], CFG["pred_len"])
    train_dl = DataLoader(train_ds, batch_size=CFG["batch_size"], shuffle=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=256)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = PatchTST(**CFG).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=CFG["lr"], total_steps=CFG["epochs"] * len(train_dl), pct_start=0.3)
    best, best_state = math.inf, None
    for epoch in range(CFG["epochs"]):
        model.train()
        for x, y in train_dl:
            x, y = x.to(device), y.to(device)
            loss = nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            val = np.mean([nn.functional.mse_loss(model(x.to(device)), y.to(device)).item() for x, y in val_dl])
        print(f"epoch {epoch:02d} val MSE {val:.4f}")
        if val < best:
            best, best_state = val, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}

    model.load_state_dict(best_state)
    model = model.cpu().eval()
    dummy = torch.randn(1, CFG["seq_len"], CFG["n_vars"])
    torch.onnx.export(model, dummy, args.onnx, input_names=["history"], output_names=["forecast"], dynamic_axes={"history": {0: "batch"}, "forecast": {0: "batch"}}, opset_version=17)
    print("saved", args.onnx)


if __name__ == "__main__":
    main()
