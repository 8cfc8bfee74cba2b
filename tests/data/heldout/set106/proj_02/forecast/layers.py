"""Building blocks shared by the forecasting models."""
import torch.nn as nn


class SeqBatchNorm(nn.Module):
    """BatchNorm1d over the last (feature) dim of a (batch, length, features) tensor."""

    def __init__(self, num_features, **kwargs):
        super().__init__()
        self.bn = nn.BatchNorm1d(num_features, **kwargs)

    def forward(self, x):
        return self.bn(x.transpose(1, 2)).transpose(1, 2)


class TokenEmbedding(nn.Module):
    """Circular Conv1d value embedding (Informer / Autoformer), kept channels-first."""

    def __init__(self, c_in, d_model):
        super().__init__()
        self.conv = nn.Conv1d(c_in, d_model, kernel_size=3, padding=1, padding_mode="circular", bias=False)
        self.bn = nn.BatchNorm1d(d_model)

    def forward(self, x):  # x: (B, L, c_in)
        x = self.conv(x.permute(0, 2, 1))  # (B, d_model, L)
        return self.bn(x).permute(0, 2, 1)  # (B, L, d_model)


def feed_forward(d_in, d_hidden, dropout):
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_hidden, d_in), nn.Dropout(dropout))
