from copy import deepcopy

import torch

from .net import CellNet
from .scoring import evaluate


class Perturber:
    def build(self, width):
        self.model = CellNet(width)
        self.best_model = deepcopy(self.model)

    def load_pretrained(self, path):
        self.build(8)
        self.model.load_state_dict(torch.load(path))
        self.best_model = self.model

    def fit(self, loader, epochs):
        opt = torch.optim.Adam(self.model.parameters())
        for _ in range(epochs):
            self.model.train()
            for x in loader:
                opt.zero_grad()
                self.model(x).sum().backward()
                opt.step()
            evaluate(loader, self.model)
            best = deepcopy(self.model)
        self.best_model = best

    def predict(self, x):
        with torch.no_grad():
            return self.best_model(x)
