import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, dim=128):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, dim, 4, 2, 1, bias=False), nn.BatchNorm2d(dim), nn.ReLU())

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    def __init__(self, dim=128):
        super().__init__()
        self.net = nn.Sequential(nn.ConvTranspose2d(dim, 3, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(z)


def build_autoencoder(dim=128):
    return Encoder(dim), Decoder(dim)
