"""BiGRU over conv features + masked mean/max pooling."""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class GRUPoolHead(nn.Module):
    def __init__(self, in_dim, hidden, num_classes, dropout=0.3):
        super().__init__()
        self.gru = nn.GRU(in_dim, hidden, batch_first=True, bidirectional=True)
        pooled = 4 * hidden                    # mean + max of a bidirectional GRU
        self.fc = nn.Linear(pooled, hidden, bias=False)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, feats, lengths):
        x = feats.transpose(1, 2)              # (N, L, C)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        y, _ = self.gru(packed)
        y, _ = pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])

        mask = (torch.arange(y.shape[1], device=y.device)[None, :] < lengths[:, None]).unsqueeze(-1)
        mean = (y * mask).sum(1) / mask.sum(1).clamp(min=1)
        mx = y.masked_fill(~mask, float("-inf")).max(1).values
        h = torch.cat([mean, mx], dim=-1)      # (N, 4 * hidden)

        h = torch.relu(self.bn(self.fc(h)))
        return self.out(self.drop(h))
