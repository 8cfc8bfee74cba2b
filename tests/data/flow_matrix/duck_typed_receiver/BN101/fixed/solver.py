import torch
from torch import nn


class Solver:
    def __init__(self, loaders):
        self.encoder = nn.Sequential(nn.Conv2d(3, 16, 3, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                                     nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4))
        self.loaders = loaders
        self.optimizer = torch.optim.Adam(self.encoder.parameters())

    def domain_scores(self, images):
        return self.encoder(images)

    def train_epoch(self):
        self.encoder.train()
        for images, domains in self.loaders["train"]:
            loss = nn.functional.cross_entropy(self.encoder(images), domains)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
