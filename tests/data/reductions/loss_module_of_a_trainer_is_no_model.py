import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))


class Trainer:
    def __init__(self, model):
        self.model = model
        self.cross_entropy = nn.CrossEntropyLoss()

    def train_step(self, x, y):
        out = self.model(x)
        pred_loss = self.cross_entropy(out, y)
        total_loss = pred_loss + 0
        total_loss.backward()

    def evaluate(self, x, y):
        return self.cross_entropy(x, y)
