import torch.nn as nn


class BatchNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.batchnorm = nn.BatchNorm1d(dim)

    def forward(self, x):
        # x: (batch, seq, dim) -> normalize each feature over batch and sequence
        return self.batchnorm(x.transpose(1, 2)).transpose(1, 2)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, dim * mult), nn.GELU(), nn.Linear(dim * mult, dim))

    def forward(self, x):
        return self.net(x)


class AttentionLayers(nn.Module):
    def __init__(self, dim, depth, heads=8, use_batchnorm=False):
        super().__init__()
        norm_class = BatchNorm if use_batchnorm else nn.LayerNorm
        self.layers = nn.ModuleList([])
        for _ in range(depth):
            self.layers.append(nn.ModuleList([
                norm_class(dim),
                nn.MultiheadAttention(dim, heads, batch_first=True),
                norm_class(dim),
                FeedForward(dim),
            ]))

    def forward(self, x):
        for norm1, attn, norm2, ff in self.layers:
            h = norm1(x)
            x = x + attn(h, h, h, need_weights=False)[0]
            x = x + ff(norm2(x))
        return x
