import torch
from torch import nn


class Embedder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))

    def forward(self, x):
        return self.body(x).mean((2, 3))


class Runner:
    def __init__(self, loader, optimizer):
        self.net = Embedder()
        self.loader = loader
        self.optimizer = optimizer

    def fit(self):
        self.net.train()
        for x, y in self.loader:
            self.optimizer.zero_grad()
            self.net(x).sum().backward()
            self.optimizer.step()

    def embeddings(self, loader):
        self.net.eval()
        with torch.no_grad():
            embed = lambda batch: self.net(batch)
            rows = [(embed(x), label) for x, label in loader]
        return rows
