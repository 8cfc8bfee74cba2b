import torch
from torch import nn


class TorchModel:
    def __init__(self):
        self.model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1)

    def fit(self, batches, callbacks=[]):
        self.model.train()
        for step, x in enumerate(batches):
            loss = self.model(x).sum()
            loss.backward()
            self.opt.step()
            for c in callbacks:
                c(self, step)

    def evaluate(self, x):
        self.model.eval()
        return self.model(x)


class ValidationCallback:
    def __call__(self, model, step):
        model.evaluate(torch.zeros(2, 4))


TorchModel().fit([], callbacks=[ValidationCallback()])
