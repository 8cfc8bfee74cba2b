import torch.nn.functional as F


class Trainer:
    def __init__(self, loader, model, optimizer):
        self.loader = loader
        self.model = model
        self.optimizer = optimizer

    def train(self):
        self.model.train()
        for data, target in self.loader:
            self.optimizer.zero_grad()
            loss = F.cross_entropy(self.model(data), target)
            loss.backward()
            self.optimizer.step()

    def evaluate(self, loader):
        self.model.eval()
        return sum(int((self.model(x).argmax(1) == y).sum()) for x, y in loader)
