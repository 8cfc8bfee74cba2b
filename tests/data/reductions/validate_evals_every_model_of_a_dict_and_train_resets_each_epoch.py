import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(self.fc(x))


class Trainer:
    def __init__(self, models, optimizer, loss_fn, epochs):
        self.models = models
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.epochs = epochs

    def train(self, loader, test_loader):
        for model in self.models.values():
            model.train()
        for epoch in range(self.epochs):
            for X, y in loader:
                logits = self.models["top"](self.models["bottom"](X))
                loss = self.loss_fn(logits, y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            self.validate(test_loader)
            for model in self.models.values():
                model.train()

    def validate(self, loader):
        for model in self.models.values():
            model.eval()
        with torch.no_grad():
            for X, y in loader:
                self.models["top"](self.models["bottom"](X))
