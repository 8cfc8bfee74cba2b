import torch
import torch.nn as nn


class Trainer:
    def __init__(self, lr):
        self.model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(2))
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)

    def forward(self, x):
        return self.model(x)

    def step(self, x, y):
        loss = nn.functional.cross_entropy(self.model(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
