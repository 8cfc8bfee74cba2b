import torch.nn as nn


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(32, 1, 4))

    def forward(self, x):
        return self.body(x)


class Painter(nn.Module):
    def __init__(self, z_dim=64):
        super().__init__()
        self.body = nn.Sequential(nn.ConvTranspose2d(z_dim, 32, 4), nn.BatchNorm2d(32), nn.ReLU(),
                                  nn.ConvTranspose2d(32, 3, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.body(z)
