import torch

from pvmcts import PVMCTS


class AlphaZero:
    def __init__(self, model, optimizer, game):
        self.model: torch.nn.Module = model
        self.optimizer = optimizer
        self.mcts = PVMCTS(game, model)

    def self_play(self, state):
        return self.mcts.search(state)

    def learn(self, states, batches):
        for state in states:
            self.model.eval()
            memory = self.self_play(state)
            self.model.train()
            for x, y in batches:
                self.optimizer.zero_grad()
                torch.nn.functional.mse_loss(self.model(x), y).backward()
                self.optimizer.step()
