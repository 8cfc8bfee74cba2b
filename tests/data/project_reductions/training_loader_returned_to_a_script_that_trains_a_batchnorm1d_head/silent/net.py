import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, points=3, hidden=64, classes=10):
        super().__init__()
        self.embed = nn.Linear(points, hidden)
        self.head = nn.Sequential(nn.Linear(hidden, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, classes))

    def forward(self, x):
        return self.head(self.embed(x).mean(1))
