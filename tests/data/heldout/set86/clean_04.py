import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

# Multivariate time-series classification (UEA archive, pre-converted to .npy).
CONFIG = {
    "dataset": "data/uea/FaceDetection",
    "d_model": 128,
    "n_heads": 8,
    "n_layers": 4,
    "ff_mult": 2,
    "dropout": 0.1,
    "batch_size": 64,
    "epochs": 60,
    "lr": 3e-4,
    "warmup_epochs": 5,
    "save_to": "checkpoints/uea_transformer.pt",
}


class TSTransformer(nn.Module):
    def __init__(self, n_vars, seq_len, n_classes, d_model, n_heads, n_layers, ff_mult, dropout):
        super().__init__()
        self.input_proj = nn.Linear(n_vars, d_model)
        self.pos_emb = nn.Parameter(torch.zeros(1, seq_len, d_model))
        enc_layer = nn.TransformerEncoderLayer(d_model, n_heads, ff_mult * d_model, dropout,
                                               activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(enc_layer, n_layers)
        # per-token normalisation on the (B, L, E) sequence
        self.seq_norm = nn.LayerNorm(d_model)
        # the pooled representation is (B, E): BatchNorm1d is fine here
        self.pool_bn = nn.BatchNorm1d(d_model)
        self.head = nn.Sequential(
            nn.Linear(d_model, 64, bias=False),
            nn.BatchNorm1d(64),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(64, n_classes),
        )
        nn.init.trunc_normal_(self.pos_emb, std=0.02)

    def forward(self, x):                      # x: (B, L, n_vars)
        h = self.input_proj(x) + self.pos_emb
        h = self.seq_norm(self.encoder(h))     # (B, L, E)
        pooled = self.pool_bn(h.mean(dim=1))   # (B, E)
        return self.head(pooled)


def load(root, split):
    x = np.load(os.path.join(root, f"{split}_x.npy")).astype(np.float32)   # (N, L, V)
    y = np.load(os.path.join(root, f"{split}_y.npy")).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def lr_lambda(epoch, warmup, total):
    if epoch < warmup:
        return (epoch + 1) / warmup
    progress = (epoch - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * progress))


@torch.inference_mode()
def predict(model, x, batch=512):
    model.eval()
    out = [model(x[i:i + batch]).argmax(-1) for i in range(0, len(x), batch)]
    return torch.cat(out)


def main(cfg):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x_tr, y_tr = load(cfg["dataset"], "train")
    x_te, y_te = load(cfg["dataset"], "test")
    mean = x_tr.mean(dim=(0, 1), keepdim=True)
    std = x_tr.std(dim=(0, 1), keepdim=True) + 1e-6
    x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std

    loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=cfg["batch_size"], shuffle=True)
    model = TSTransformer(x_tr.shape[2], x_tr.shape[1], int(y_tr.max()) + 1, cfg["d_model"], cfg["n_heads"],
                          cfg["n_layers"], cfg["ff_mult"], cfg["dropout"]).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: lr_lambda(e, cfg["warmup_epochs"], cfg["epochs"]))

    best = 0.0
    for epoch in range(cfg["epochs"]):
        model.train()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = F.cross_entropy(model(xb), yb, label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        acc = (predict(model, x_te.to(device)).cpu() == y_te).float().mean().item()
        print(f"epoch {epoch + 1:3d} | loss {loss.item():.4f} | test acc {acc:.4f}")
        if acc > best:
            best = acc
            os.makedirs(os.path.dirname(cfg["save_to"]), exist_ok=True)
            torch.save(model.state_dict(), cfg["save_to"])
    print(f"best test accuracy {best:.4f}")


if __name__ == "__main__":
    main(CONFIG)
