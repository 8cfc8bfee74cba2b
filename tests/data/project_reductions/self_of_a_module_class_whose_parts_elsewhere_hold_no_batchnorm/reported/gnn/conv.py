import torch
from torch import nn


class LightConv(nn.Module):
    """Neighbour averaging with a linear map and a BatchNorm over the nodes."""

    def __init__(self, dim):
        super().__init__()
        self.lin = nn.Linear(dim, dim)
        self.norm = nn.BatchNorm1d(dim)

    def forward(self, x, adjacency):
        return self.norm(self.lin(adjacency @ x))
