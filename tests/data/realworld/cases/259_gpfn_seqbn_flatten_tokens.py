"""Based on Mueller et al. (TransformersCanDoBayesianInference)"""

import torch
from torch import nn


class SeqBN(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.bn = nn.BatchNorm1d(d_model)
        self.d_model = d_model

    def forward(self, x):
        assert self.d_model == x.shape[-1]
        flat_x = x.view(-1, self.d_model)
        flat_x = self.bn(flat_x)
        return flat_x.view(*x.shape)


if __name__ == "__main__":
    tokens = torch.randn(100, 8, 512)  # (seq_len, batch, d_model)
    print(SeqBN(512)(tokens).shape)
