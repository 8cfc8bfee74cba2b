import torch
import torch.nn as nn


class Siamese(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Sequential(nn.Linear(2048, 512, bias=False), nn.ReLU(), nn.BatchNorm1d(512), nn.Linear(512, 1))

    def forward(self, left, right):
        return self.head(torch.cat([left, right], 1))
