import torch
import torch.nn as nn


class Agent:
    def __init__(self):
        self.brain = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(2))
        self.optimizer = torch.optim.SGD(self.brain.parameters(), lr=0.1)

    def predict(self, x):
        return self.brain(x)

    def learn(self, batches):
        self.brain.train()
        for x, y in batches:
            self.optimizer.zero_grad()
            out = self.predict(x)
            loss = nn.functional.cross_entropy(out, y)
            loss.backward()
            self.optimizer.step()

    def score(self, batches):
        with torch.no_grad():
            return [self.predict(x).argmax(1) for x, _ in batches]


def main(train_batches, test_batches):
    agent = Agent()
    agent.learn(train_batches)
    return agent.score(test_batches)
