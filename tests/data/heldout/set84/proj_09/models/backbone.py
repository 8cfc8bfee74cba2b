"""Embedding -> conv stem (channels-first, BatchNorm1d) -> Transformer (batch_first, LayerNorm)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

import configs as C


class ConvTransformerEncoder(nn.Module):
    def __init__(self, vocab_size=C.VOCAB_SIZE, embed_dim=C.EMBED_DIM, hidden=C.HIDDEN,
                 num_layers=C.NUM_LAYERS, num_heads=C.NUM_HEADS, dropout=C.DROPOUT):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=C.PAD_ID)
        self.embed_bn = nn.BatchNorm1d(embed_dim)
        # local n-gram features; ReLU sits between the conv and its BN, so the bias is kept
        self.ngram = nn.Conv1d(embed_dim, embed_dim, kernel_size=5, padding=2)
        self.ngram_bn = nn.BatchNorm1d(embed_dim)
        self.proj = nn.Conv1d(embed_dim, hidden, kernel_size=3, padding=1, bias=False)
        self.proj_bn = nn.BatchNorm1d(hidden)
        self.pos = nn.Parameter(0.02 * torch.randn(1, C.MAX_LEN, hidden))
        layer = nn.TransformerEncoderLayer(hidden, num_heads, dim_feedforward=4 * hidden,
                                           dropout=dropout, batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, num_layers)
        self.norm = nn.LayerNorm(hidden)

    def forward(self, tokens, mask):
        x = self.embed(tokens)                         # (N, L, E)
        x = x.transpose(1, 2)                          # (N, E, L): BatchNorm1d normalises dim 1
        x = self.embed_bn(x)
        x = self.ngram_bn(F.relu(self.ngram(x)))
        x = F.relu(self.proj_bn(self.proj(x)))         # (N, H, L)
        x = x.transpose(1, 2) + self.pos[:, : x.shape[-1]]   # (N, L, H)
        x = self.transformer(x, src_key_padding_mask=~mask)
        return self.norm(x)
