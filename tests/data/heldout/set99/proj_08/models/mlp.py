"""Residual MLP surrogate for parametric PDE solutions."""
import torch
import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, width, dropout=0.0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(width, width, bias=False),
            nn.BatchNorm1d(width),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Linear(width, width, bias=False),
            nn.BatchNorm1d(width),
        )
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(x + self.net(x))


class ResMLP(nn.Module):
    def __init__(self, in_dim, out_dim, width=256, depth=6, dropout=0.0):
        super().__init__()
        self.lift = nn.Sequential(
            nn.Linear(in_dim, width),  # expect: BN204
            nn.BatchNorm1d(width),
            nn.SiLU(),
        )
        self.blocks = nn.Sequential(*[ResidualBlock(width, dropout) for _ in range(depth)])
        self.proj = nn.Linear(width, out_dim)

    def forward(self, x):
        return self.proj(self.blocks(self.lift(x)))


def build(in_dim, out_dim, width=256, depth=6, dropout=0.0, **unused):
    return ResMLP(in_dim, out_dim, width=width, depth=depth, dropout=dropout)
