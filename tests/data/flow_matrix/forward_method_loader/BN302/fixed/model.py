import torch.nn as nn


class PairEncoder(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_features, 512, bias=False), nn.BatchNorm1d(512), nn.LeakyReLU(),
                                     nn.Linear(512, 100))

    def forward(self, first, second):
        return self.encoder(first), self.encoder(second)
