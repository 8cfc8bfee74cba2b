"""Keyword Transformer with BatchNorm instead of LayerNorm (our ablation).

BN statistics are computed per embedding channel over all (batch, time)
positions: the (N, L, E) activations are flattened to (N*L, E) first.
"""
import torch
import torch.nn as nn

from .frontend import LogMel


class TokenBatchNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, x):
        n, l, e = x.shape
        return self.bn(x.reshape(n * l, e)).reshape(n, l, e)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=4.0, dropout=0.0):
        super().__init__()
        self.norm1 = TokenBatchNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm2 = TokenBatchNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, dim), nn.Dropout(dropout))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class KWTBN(nn.Module):
    def __init__(self, num_classes=35, n_mels=40, frames=98, dim=64, depth=12, heads=1,
                 dropout=0.0):
        super().__init__()
        self.frontend = LogMel(n_mels=n_mels)
        self.frames = frames
        self.patch = nn.Linear(n_mels, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, frames + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, dropout=dropout) for _ in range(depth)])
        self.head = nn.Linear(dim, num_classes)

    def forward(self, wav):
        x = self.frontend(wav).squeeze(1)[..., :self.frames]  # (N, n_mels, T)
        x = self.patch(x.transpose(1, 2))  # (N, T, dim)
        cls = self.cls_token.expand(x.size(0), -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos[:, :x.size(1) + 1]
        for blk in self.blocks:
            x = blk(x)
        return self.head(x[:, 0])
