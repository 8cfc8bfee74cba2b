import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8))

    def forward(self, x):
        return self.body(x)


class Learner(object):
    def __init__(self, loader, val):
        self.model = Net()
        self.loader = loader
        self.val = val
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

    def train_simple(self, epochs):
        self.model.train()
        for e in range(epochs):
            for step, (x, y) in enumerate(self.loader):
                loss = nn.functional.cross_entropy(self.model(x), y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                if step % 100 == 0:
                    accuracy = self.evaluate(self.val)

    def evaluate(self, data):
        self.model.eval()
        with torch.no_grad():
            return sum((self.model(x).argmax(1) == y).sum().item() for x, y in data)

