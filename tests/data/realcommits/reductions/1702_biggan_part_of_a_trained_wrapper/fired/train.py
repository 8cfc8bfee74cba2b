import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)


class GD(nn.Module):
    def __init__(self, G, D):
        super().__init__()
        self.G = G
        self.D = D

    def forward(self, z):
        return self.D(self.G(z))


def run(config, loader):
    G = Generator()
    D = nn.Sequential(nn.Conv2d(8, 1, 3), nn.Flatten())
    pair = GD(G, D)
    opt = torch.optim.Adam(pair.parameters())
    for epoch in range(config["epochs"]):
        G.train()
        for z in loader:
            opt.zero_grad()
            D(G(z)).mean().backward()
            opt.step()
            if config["G_eval_mode"]:
                G.eval()
