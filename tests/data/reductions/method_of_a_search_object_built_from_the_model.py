import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.c(x))


class PVMCTS:
    def __init__(self, model):
        self.model = model

    @torch.no_grad()
    def search(self, state):
        policy = self.model(state.unsqueeze(0))
        return torch.softmax(policy, 1).cpu().numpy()


class AlphaZero:
    def __init__(self, model):
        self.model = model

    def selfPlay(self):
        mcts = PVMCTS(self.model)
        return mcts.search(torch.zeros(3, 9, 9))


model = Net()
az = AlphaZero(model)
az.selfPlay()
