import torch
import torch.nn as nn

from mcts import MCTS


class Agent:
    def __init__(self):
        self.brain = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(2))
        self.optimizer = torch.optim.SGD(self.brain.parameters(), lr=0.1)

    def predict(self, x):
        out = self.brain(x)
        return out[:, :1], out[:, 1:]

    def self_play(self, boards, batches):
        self.brain.train()
        for board in boards:
            mcts = MCTS(self, board)
            mcts.search(100)
        for x, y in batches:
            self.optimizer.zero_grad()
            policy, value = self.predict(x)
            loss = nn.functional.mse_loss(value, y)
            loss.backward()
            self.optimizer.step()
