import torch
import torch.nn as nn


class Logic:
    def train_epoch_begin(self, model):
        model.train()

    def train_step(self, model, optimizer, x):
        loss = model(x).sum()
        loss.backward()
        optimizer.step()

    def train_validation_begin(self, model):
        model.eval()


class Trainer:
    def __init__(self, handler, model, optimizer):
        self.handler = handler
        self.model = model
        self.optimizer = optimizer

    def run(self, loader, evaluate):
        for epoch in range(10):
            self.handler.train_epoch_begin(self.model)
            for i, x in enumerate(loader):
                self.handler.train_step(self.model, self.optimizer, x)
                if i % 100 == 0:
                    self.handler.train_validation_begin(self.model)
                    evaluate(self.model)


model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
Trainer(Logic(), model, torch.optim.SGD(model.parameters(), lr=0.1)).run([torch.randn(8, 4)], print)
