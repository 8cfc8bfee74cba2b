import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, n_hidden), nn.BatchNorm1d(n_hidden), nn.ReLU())

    def forward(self, x):
        return self.body(x)


def build_encoder(cfg):
    return Encoder(cfg["n_in"], cfg["n_hidden"])
