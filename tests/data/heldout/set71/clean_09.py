"""Dilated 1D convolution stacks for audio / sensor sequences.

``GatedTCN`` is a WaveNet-style stack with batch-normalised gates and skip
outputs; ``ConvReluBNEncoder`` is a lightweight front-end that applies the
normalisation after the non-linearity.  Inputs are (batch, channels, time).
"""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalConv1d(nn.Conv1d):
    def __init__(self, in_channels, out_channels, kernel_size, dilation=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation, bias=bias)
        self.left_pad = (kernel_size - 1) * dilation

    def forward(self, x):
        return super().forward(F.pad(x, (self.left_pad, 0)))


class GatedBlock(nn.Module):
    def __init__(self, res_ch=64, gate_ch=32, skip_ch=128, kernel_size=3, dilation=1, dropout=0.05):
        super().__init__()
        self.gate_conv = CausalConv1d(res_ch, 2 * gate_ch, kernel_size, dilation=dilation, bias=False)
        self.gate_bn = nn.BatchNorm1d(2 * gate_ch)
        self.dropout = nn.Dropout(dropout)
        self.res_proj = nn.Conv1d(gate_ch, res_ch, 1, bias=False)
        self.res_bn = nn.BatchNorm1d(res_ch)
        self.skip_proj = nn.Conv1d(gate_ch, skip_ch, 1)

    def forward(self, x):
        h = self.gate_bn(self.gate_conv(x))
        filt, gate = torch.chunk(h, 2, dim=1)
        z = self.dropout(torch.tanh(filt) * torch.sigmoid(gate))
        res = self.res_bn(self.res_proj(z))
        return x + res, self.skip_proj(z)


class GatedTCN(nn.Module):
    def __init__(self, in_ch=1, res_ch=64, gate_ch=32, skip_ch=128, n_classes=10,
                 dilations: Sequence[int] = (1, 2, 4, 8, 16, 32), repeats=2):
        super().__init__()
        self.front = nn.Sequential(
            nn.Conv1d(in_ch, res_ch, kernel_size=1, bias=False),
            nn.BatchNorm1d(res_ch),
            nn.ReLU(inplace=True),
        )
        blocks = []
        for _ in range(repeats):
            for d in dilations:
                blocks.append(GatedBlock(res_ch, gate_ch, skip_ch, kernel_size=3, dilation=d))
        self.blocks = nn.ModuleList(blocks)
        self.post = nn.Sequential(
            nn.ReLU(),
            nn.Conv1d(skip_ch, skip_ch, 1, bias=False),
            nn.BatchNorm1d(skip_ch),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Linear(skip_ch, n_classes),
        )

    def forward(self, x):
        x = self.front(x)
        skip_sum = 0
        for block in self.blocks:
            x, skip = block(x)
            skip_sum = skip_sum + skip
        return self.post(skip_sum)


class ConvReluBNEncoder(nn.Module):
    """Conv -> ReLU -> BN ordering (bias is not cancelled by the norm here)."""

    def __init__(self, in_ch=40, widths: Sequence[int] = (128, 128, 256), kernel_size=5, emb_dim=192):
        super().__init__()
        layers = []
        prev = in_ch
        for i, w in enumerate(widths):
            layers.append(nn.Conv1d(prev, w, kernel_size, padding=(kernel_size // 2) * (i + 1), dilation=i + 1))
            layers.append(nn.ReLU(inplace=True))
            layers.append(nn.BatchNorm1d(w))
            prev = w
        self.frame_layers = nn.Sequential(*layers)
        self.pool_dim = 2 * prev
        self.embedding = nn.Linear(self.pool_dim, emb_dim, bias=False)
        self.emb_bn = nn.BatchNorm1d(emb_dim)

    def forward(self, x):
        h = self.frame_layers(x)
        stats = torch.cat([h.mean(dim=2), h.std(dim=2)], dim=1)
        return self.emb_bn(self.embedding(stats))


if __name__ == "__main__":
    tcn = GatedTCN(in_ch=3, n_classes=6, repeats=1)
    enc = ConvReluBNEncoder()
    print(len(tcn.blocks), enc.pool_dim)
