import copy

import torch
import torch.nn as nn


def validate(model, loader):
    model.eval()
    with torch.no_grad():
        return [model(x) for x in loader]


class Regressor:
    def build(self, width):
        self.model = nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width))
        self.best = copy.deepcopy(self.model)

    def fit(self, loader):
        opt = torch.optim.SGD(self.model.parameters(), lr=0.1)
        self.model.train()
        for x in loader:
            opt.zero_grad()
            self.model(x).sum().backward()
            opt.step()
        validate(self.model, loader)
        self.best = copy.deepcopy(self.model)

    def restore(self, path):
        self.build(4)
        self.best.load_state_dict(torch.load(path))

    def predict(self, x):
        with torch.no_grad():
            return self.best(x)
