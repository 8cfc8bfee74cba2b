"""User and item towers for a two-tower (dual encoder) candidate retrieval model.

Each tower embeds its sparse categorical features, concatenates them with the
batch-normalised dense features and runs an MLP. Scores are dot products of the
L2-normalised tower outputs divided by a temperature.
"""
from __future__ import annotations

from typing import Dict, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from config import HISTORY_LEN, ITEM_DENSE_DIM, ITEM_SPARSE, USER_DENSE_DIM, USER_SPARSE

BN_EPS = 1e-3
BN_MOMENTUM = 0.99


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int, dropout: float) -> nn.Sequential:
    layers = []
    prev = in_dim
    for width in hidden:
        layers.append(nn.Linear(prev, width, bias=False))
        layers.append(nn.BatchNorm1d(width, eps=BN_EPS, momentum=BN_MOMENTUM))  # expect: BN205
        layers.append(nn.ReLU(inplace=True))
        layers.append(nn.Dropout(dropout))
        prev = width
    layers.append(nn.Linear(prev, out_dim))
    return nn.Sequential(*layers)


class SparseEmbedder(nn.Module):
    def __init__(self, spec: Dict[str, tuple]):
        super().__init__()
        self.names = list(spec)
        self.tables = nn.ModuleDict(
            {name: nn.Embedding(vocab, dim) for name, (vocab, dim) in spec.items()}
        )
        self.out_dim = sum(dim for _, dim in spec.values())

    def forward(self, ids: Dict[str, torch.Tensor]) -> torch.Tensor:
        # every id tensor is (batch,), so each lookup is (batch, dim)
        return torch.cat([self.tables[n](ids[n]) for n in self.names], dim=-1)


class UserTower(nn.Module):
    def __init__(self, hidden: Sequence[int], out_dim: int, dropout: float,
                 history_dim: int = 32):
        super().__init__()
        self.sparse = SparseEmbedder(USER_SPARSE)
        vocab = ITEM_SPARSE["item_id"][0]
        self.history = nn.EmbeddingBag(vocab, history_dim, mode="mean", padding_idx=0)
        self.history_bn = nn.BatchNorm1d(history_dim)
        self.dense_bn = nn.BatchNorm1d(USER_DENSE_DIM)
        in_dim = self.sparse.out_dim + history_dim + USER_DENSE_DIM
        self.mlp = mlp(in_dim, hidden, out_dim, dropout)

    def forward(self, feats: Dict[str, torch.Tensor]) -> torch.Tensor:
        hist = feats["history"][:, :HISTORY_LEN]
        h = self.history_bn(self.history(hist))
        d = self.dense_bn(feats["user_dense"])
        x = torch.cat([self.sparse(feats), h, d], dim=-1)
        return F.normalize(self.mlp(x), dim=-1)


class ItemTower(nn.Module):
    def __init__(self, hidden: Sequence[int], out_dim: int, dropout: float,
                 text_proj_dim: int = 64):
        super().__init__()
        self.sparse = SparseEmbedder(ITEM_SPARSE)
        self.text_proj = nn.Sequential(
            nn.Linear(ITEM_DENSE_DIM, text_proj_dim, bias=False),
            nn.BatchNorm1d(text_proj_dim),
            nn.ReLU(inplace=True),
        )
        self.mlp = mlp(self.sparse.out_dim + text_proj_dim, hidden, out_dim, dropout)

    def forward(self, feats: Dict[str, torch.Tensor]) -> torch.Tensor:
        t = self.text_proj(feats["item_text_emb"])
        x = torch.cat([self.sparse(feats), t], dim=-1)
        return F.normalize(self.mlp(x), dim=-1)


class TwoTowerModel(nn.Module):
    def __init__(self, tower_hidden: Sequence[int] = (512, 256), out_dim: int = 64,
                 dropout: float = 0.1, temperature: float = 0.05):
        super().__init__()
        self.user_tower = UserTower(tower_hidden, out_dim, dropout)
        self.item_tower = ItemTower(tower_hidden, out_dim, dropout)
        self.temperature = temperature

    def forward(self, user_feats: Dict[str, torch.Tensor],
                item_feats: Dict[str, torch.Tensor]) -> torch.Tensor:
        u = self.user_tower(user_feats)
        v = self.item_tower(item_feats)
        return (u * v).sum(dim=-1) / self.temperature
