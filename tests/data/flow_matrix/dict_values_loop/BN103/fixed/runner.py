import torch
import torch.nn.functional as F

from nets import FeatureNet


class Runner:
    def __init__(self, data, epochs):
        self.data, self.epochs = data, epochs
        self.networks = {"feat": FeatureNet()}
        self.optimizer = torch.optim.SGD(self.networks["feat"].parameters(), lr=0.1)

    def train(self):
        for epoch in range(self.epochs):
            for model in self.networks.values():
                model.train()
            for x, y in self.data["train"]:
                loss = F.cross_entropy(self.networks["feat"](x), y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            self.evaluate("val")

    def evaluate(self, phase):
        for model in self.networks.values():
            model.eval()
        with torch.no_grad():
            return sum((self.networks["feat"](x).argmax(1) == y).sum().item() for x, y in self.data[phase])
