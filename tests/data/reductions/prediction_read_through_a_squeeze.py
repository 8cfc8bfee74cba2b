import torch
from torch import nn


class QNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 32, bias=False)
        self.bn = nn.BatchNorm1d(32)
        self.head = nn.Linear(32, 4)

    def forward(self, x):
        return self.head(torch.relu(self.bn(self.fc(x))))


def greedy_action(q_net, state):
    q_values = q_net(state).squeeze(0)
    _, action = torch.max(q_values, dim=0)
    return int(action.item())


def play(env, steps):
    q_net = QNetwork()
    q_net.load_state_dict(torch.load("q.pt"))
    state = env.reset()
    for _ in range(steps):
        state = env.step(greedy_action(q_net, state))
