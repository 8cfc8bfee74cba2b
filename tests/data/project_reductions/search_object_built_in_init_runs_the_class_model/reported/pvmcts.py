import torch


class PVMCTS:
    def __init__(self, game, model):
        self.game = game
        self.model = model

    @torch.no_grad()
    def search(self, state):
        policy = self.model(state.unsqueeze(0))
        return torch.softmax(policy, 1).cpu().numpy()
