import torch
import torch.nn as nn


class AttentionPool(nn.Module):
    """Spatial attention pooling: softmax over a 1-channel score map."""

    def __init__(self, in_channels):
        super().__init__()
        self.score = nn.Conv2d(in_channels, 1, kernel_size=1)   # bias is fine, no norm follows

    def forward(self, x):
        w = self.score(x).flatten(2).softmax(-1)                 # (N, 1, HW)
        return torch.bmm(x.flatten(2), w.transpose(1, 2)).squeeze(-1)   # (N, C)


class MLPHead(nn.Module):
    def __init__(self, in_channels, hidden, num_classes, dropout=0.3):
        super().__init__()
        self.pool = AttentionPool(in_channels)
        self.fc1 = nn.Linear(in_channels, hidden, bias=False)
        self.bn = nn.BatchNorm1d(hidden)
        self.act = nn.ReLU(inplace=True)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = self.pool(x)
        x = self.drop(self.act(self.bn(self.fc1(x))))
        return self.fc2(x)
