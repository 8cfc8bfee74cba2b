import torch
from torch import nn


class ConvBlock(nn.Module):
    """Conv1d over time; expects (N, C, L)."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, dropout: float = 0.0):
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm1d(out_ch)
        self.act = nn.SiLU()
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.act(self.bn(self.conv(x))))


class VentNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        in_dim = cfg.num_features + cfg.rc_emb_dim
        self.rc_emb = nn.Embedding(cfg.rc_vocab, cfg.rc_emb_dim)
        self.emb_bn = nn.BatchNorm1d(cfg.rc_emb_dim)
        self.convs = nn.ModuleList([ConvBlock(in_dim, cfg.conv_dim, k, cfg.dropout) for k in (3, 5, 7)])
        self.gru = nn.GRU(3 * cfg.conv_dim, cfg.gru_hidden, num_layers=cfg.gru_layers, batch_first=True, bidirectional=True, dropout=cfg.dropout)
        self.seq_norm = nn.LayerNorm(2 * cfg.gru_hidden)
        self.post_bn = nn.BatchNorm1d(2 * cfg.gru_hidden)
        self.head = nn.Sequential(
            nn.Linear(2 * cfg.gru_hidden, 128),
            nn.SiLU(),
            nn.Linear(128, 1),
        )

    def forward(self, x, rc):
        # x: (N, L, F), rc: (N, L)
        e = self.rc_emb(rc)                    # (N, L, E)
        e = self.emb_bn(e.transpose(1, 2))     # BN over E: (N, E, L)
        h = torch.cat([x.transpose(1, 2), e], dim=1)   # (N, F+E, L)
        h = torch.cat([conv(h) for conv in self.convs], dim=1)
        h, _ = self.gru(h.transpose(1, 2))     # (N, L, 2H)
        h = self.seq_norm(h)
        h = self.post_bn(h.permute(0, 2, 1)).permute(0, 2, 1)
        return self.head(h).squeeze(-1)
