import torch
from torch import nn


class ShapeletBlocks(nn.Module):
    def __init__(self, in_channels=1, per_size=40):
        super().__init__()
        self.blocks = nn.ModuleList([
            nn.Conv1d(in_channels, per_size, kernel_size=9, padding=4, bias=False),
            nn.Conv1d(in_channels, per_size, kernel_size=17, padding=8, bias=False),
            nn.Conv1d(in_channels, per_size, kernel_size=33, padding=16, bias=False),
        ])
        self.norm = nn.BatchNorm1d(per_size)

    def forward(self, x):
        features = torch.cat([block(x) for block in self.blocks], dim=1)
        return self.norm(features).relu()
