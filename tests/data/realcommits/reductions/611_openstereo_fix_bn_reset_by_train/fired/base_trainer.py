import torch
import torch.nn as nn


def fix_bn(module):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    return module


class BaseTrainer:
    def __init__(self, loader):
        self.model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8))
        self.loader = loader
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
        self.model = fix_bn(self.model)

    def train_epoch(self):
        self.model.train()
        for x, y in self.loader:
            loss = ((self.model(x) - y) ** 2).mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def train_model(self):
        for epoch in range(10):
            self.train_epoch()
