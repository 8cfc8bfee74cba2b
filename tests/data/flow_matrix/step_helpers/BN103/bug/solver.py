import torch
import torch.nn.functional as F

from nets import FeatureNet


class Solver:
    def __init__(self, loaders, epochs):
        self.loaders, self.epochs = loaders, epochs
        self.net = FeatureNet()
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3)

    def forward_batch(self, x, y):
        self.loss = F.cross_entropy(self.net(x), y)

    def backward_batch(self):
        self.optimizer.zero_grad()
        self.loss.backward()
        self.optimizer.step()

    def train(self):
        self.net.train()
        for epoch in range(self.epochs):
            for x, y in self.loaders["train"]:
                self.forward_batch(x, y)
                self.backward_batch()
            print(epoch, self.validate())

    def validate(self):
        self.net.eval()
        with torch.no_grad():
            return sum((self.net(x).argmax(1) == y).sum().item() for x, y in self.loaders["val"])
