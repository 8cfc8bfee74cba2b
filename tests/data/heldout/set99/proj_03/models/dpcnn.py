"""Deep Pyramid CNN (Johnson & Zhang, 2017) with pre-activation BN."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PreActConv(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bn = nn.BatchNorm1d(channels)
        self.conv = nn.Conv1d(channels, channels, kernel_size=3, padding=1, bias=False)

    def forward(self, x):
        return self.conv(F.relu(self.bn(x)))


class PyramidBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.pool = nn.MaxPool1d(kernel_size=3, stride=2, padding=1)
        self.conv1 = PreActConv(channels)
        self.conv2 = PreActConv(channels)

    def forward(self, x):
        x = self.pool(x)
        return x + self.conv2(self.conv1(x))


class DPCNN(nn.Module):
    def __init__(self, vocab_size, num_classes, embed_dim=300, channels=250, num_blocks=6,
                 dropout=0.2, padding_idx=0, **unused):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.region = nn.Sequential(
            nn.Conv1d(embed_dim, channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(inplace=True),
        )
        self.conv1 = PreActConv(channels)
        self.conv2 = PreActConv(channels)
        self.blocks = nn.ModuleList([PyramidBlock(channels) for _ in range(num_blocks)])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, tokens):
        x = self.embedding(tokens).permute(0, 2, 1)  # (N, E, L)
        x = self.region(x)
        x = x + self.conv2(self.conv1(x))
        for block in self.blocks:
            if x.size(-1) <= 2:
                break
            x = block(x)
        x = F.adaptive_max_pool1d(x, 1).squeeze(-1)
        return self.fc(self.dropout(x))
