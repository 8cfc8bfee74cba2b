import torch
import torch.nn as nn

from .layers import SeqBatchNorm, TokenEmbedding, feed_forward


class MixerBlock(nn.Module):
    """TSMixer block: time-mixing MLP then feature-mixing MLP, BatchNorm before each."""

    def __init__(self, seq_len, d_model, ff_dim, dropout):
        super().__init__()
        self.norm_time = SeqBatchNorm(d_model)
        self.time_mlp = nn.Sequential(nn.Linear(seq_len, seq_len), nn.ReLU(), nn.Dropout(dropout))
        self.norm_feat = SeqBatchNorm(d_model, momentum=0.05)
        self.feat_mlp = feed_forward(d_model, ff_dim, dropout)

    def forward(self, x):  # (B, L, D)
        y = self.norm_time(x).transpose(1, 2)  # (B, D, L)
        x = x + self.time_mlp(y).transpose(1, 2)
        return x + self.feat_mlp(self.norm_feat(x))


class TSBatchNormMixer(nn.Module):
    def __init__(self, c_in, seq_len, pred_len, d_model=64, ff_dim=128, n_blocks=4, dropout=0.1):
        super().__init__()
        self.embed = TokenEmbedding(c_in, d_model)
        self.blocks = nn.Sequential(*[MixerBlock(seq_len, d_model, ff_dim, dropout) for _ in range(n_blocks)])
        self.temporal_head = nn.Linear(seq_len, pred_len)
        self.out = nn.Linear(d_model, c_in)

    def forward(self, x):  # (B, seq_len, c_in)
        last = x[:, -1:, :].detach()
        h = self.blocks(self.embed(x - last))  # (B, seq_len, d_model)
        h = self.temporal_head(h.transpose(1, 2)).transpose(1, 2)  # (B, pred_len, d_model)
        return self.out(h) + last
