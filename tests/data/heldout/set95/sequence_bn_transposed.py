"""Human-activity recognition from IMU windows: conv front-end + Transformer.

Where BatchNorm1d meets sequence data it is always given (N, C, L) or (N*L, C):
the transformer output (N, L, E) is transposed before the BN, and the
per-timestep projection is normalised on a flattened (N*L, E) view. Inside
the transformer blocks the (N, L, E) tensors use LayerNorm.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ConvFrontEnd(nn.Module):
    """(N, C_in, L) -> (N, D, L/4) with Conv1d + BatchNorm1d."""

    def __init__(self, in_channels=6, d_model=128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(in_channels, 64, 5, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.GELU(),
            nn.MaxPool1d(2),
            nn.Conv1d(64, d_model, 5, padding=2, bias=False),
            nn.BatchNorm1d(d_model),
            nn.GELU(),
            nn.MaxPool1d(2),
        )

    def forward(self, x):
        return self.net(x)


class HARTransformer(nn.Module):
    def __init__(self, in_channels=6, d_model=128, n_heads=4, n_layers=3, num_classes=12,
                 max_len=256):
        super().__init__()
        self.front = ConvFrontEnd(in_channels, d_model)
        self.pos = nn.Parameter(torch.zeros(1, max_len, d_model))
        layer = nn.TransformerEncoderLayer(d_model, n_heads, 4 * d_model, dropout=0.1,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, norm=nn.LayerNorm(d_model))
        self.post_bn = nn.BatchNorm1d(d_model)
        self.frame_proj = nn.Linear(d_model, 64, bias=False)
        self.frame_bn = nn.BatchNorm1d(64)
        self.frame_head = nn.Linear(64, num_classes)
        self.clip_head = nn.Linear(d_model, num_classes)

    def forward(self, x):
        h = self.front(x).transpose(1, 2)              # (N, L, D)
        h = self.encoder(h + self.pos[:, : h.shape[1]])  # (N, L, D), batch_first
        h = self.post_bn(h.transpose(1, 2))            # BN over D: (N, D, L)
        clip_logits = self.clip_head(h.mean(dim=2))
        n, d, l = h.shape
        frames = h.transpose(1, 2).reshape(n * l, d)   # (N*L, D)
        frames = F.gelu(self.frame_bn(self.frame_proj(frames)))
        frame_logits = self.frame_head(frames).view(n, l, -1)
        return clip_logits, frame_logits


def load_windows(path):
    arr = np.load(path)
    x = torch.from_numpy(arr["x"]).float()          # (N, 6, 1024)
    y = torch.from_numpy(arr["y"]).long()           # (N,)
    yf = torch.from_numpy(arr["y_frames"]).long()   # (N, 256)
    return TensorDataset(x, y, yf)


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    clip_ok = frame_ok = clips = frames = 0
    for x, y, yf in loader:
        clip_logits, frame_logits = model(x.to(device))
        clip_ok += (clip_logits.argmax(-1).cpu() == y).sum().item()
        frame_ok += (frame_logits.argmax(-1).cpu() == yf).sum().item()
        clips += y.numel()
        frames += yf.numel()
    return clip_ok / clips, frame_ok / frames


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="data/har_train.npz")
    ap.add_argument("--val", default="data/har_val.npz")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader = DataLoader(load_windows(args.train), batch_size=args.batch_size,
                              shuffle=True, drop_last=True)
    val_loader = DataLoader(load_windows(args.val), batch_size=256)
    model = HARTransformer().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)

    for epoch in range(args.epochs):
        model.train()
        for x, y, yf in train_loader:
            clip_logits, frame_logits = model(x.to(device))
            loss = F.cross_entropy(clip_logits, y.to(device))
            loss = loss + 0.5 * F.cross_entropy(frame_logits.flatten(0, 1), yf.to(device).flatten())
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        sched.step()
        clip_acc, frame_acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: clip acc {100 * clip_acc:.2f}%  frame acc {100 * frame_acc:.2f}%")


if __name__ == "__main__":
    main()
