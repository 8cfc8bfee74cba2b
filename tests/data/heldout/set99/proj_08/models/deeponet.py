"""DeepONet (Lu et al., 2021) with batch-normalised branch net."""
import torch
import torch.nn as nn


def mlp_bn(dims):
    layers = []
    for i in range(len(dims) - 2):
        layers += [nn.Linear(dims[i], dims[i + 1], bias=False), nn.BatchNorm1d(dims[i + 1]),
                   nn.Tanh()]
    layers.append(nn.Linear(dims[-2], dims[-1]))
    return nn.Sequential(*layers)


class DeepONet(nn.Module):
    def __init__(self, n_sensors, coord_dim=1, latent=128, width=128, depth=4):
        super().__init__()
        self.branch = mlp_bn([n_sensors] + [width] * depth + [latent])
        self.trunk = nn.Sequential(
            nn.Linear(coord_dim, width), nn.Tanh(),
            nn.Linear(width, width), nn.Tanh(),
            nn.Linear(width, latent), nn.Tanh(),
        )
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, u_sensors, y):
        b = self.branch(u_sensors)  # (N, p)
        t = self.trunk(y)  # (M, p)
        return b @ t.t() + self.bias


def build(n_sensors=128, coord_dim=1, latent=128, width=128, depth=4, **unused):
    return DeepONet(n_sensors, coord_dim, latent, width, depth)
