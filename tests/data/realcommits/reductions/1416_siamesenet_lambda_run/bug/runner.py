import torch


class Runner:
    def __init__(self, judge, loader, optimizer):
        self.net = judge.net
        self.loader = loader
        self.optimizer = optimizer

    def fit(self):
        self.net.train()
        for x, y in self.loader:
            self.optimizer.zero_grad()
            self.net(x).sum().backward()
            self.optimizer.step()

    def embeddings(self, loader):
        with torch.no_grad():
            embed = lambda batch: self.net(batch, mode="extract")
            rows = [(embed(x), label) for x, label in loader]
        return rows
