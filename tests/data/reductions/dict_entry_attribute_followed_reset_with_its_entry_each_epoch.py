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
    def __init__(self, models, optimizers, epochs, enc, messenger):
        self.models = models
        self.optimizers = optimizers
        self.epochs = epochs
        self.enc = enc
        self.messenger = messenger

    def train(self, loader, test_loader):
        self.messenger.send(self.models["cut"].in_nodes)
        for model in self.models.values():
            model.train()
        for epoch in range(self.epochs):
            for model in self.models.values():
                model.train()
            for X in loader:
                out = self.models["bottom"](X)
                if self.enc:
                    rep = self.enc(out)
                else:
                    rep = self.models["cut"](out)
                rep.backward(X)
                self.optimizers["bottom"].step()
            self.validate(test_loader)

    def validate(self, loader):
        self.models["bottom"].eval()
        self.models["cut"].eval()
        with torch.no_grad():
            for X in loader:
                self.models["cut"](self.models["bottom"](X))
