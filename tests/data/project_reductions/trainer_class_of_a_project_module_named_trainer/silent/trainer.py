import torch
import torch.nn as nn


class Trainer:
    def __init__(self):
        self.model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))

    def train(self, loader):
        for x in loader:
            self.model(x).mean().backward()
        self.valid(loader)

    def valid(self, loader):
        self.model.eval()
        with torch.no_grad():
            for x in loader:
                self.model(x)

    def test(self, loader):
        with torch.no_grad():
            for x in loader:
                print(self.model(x))
