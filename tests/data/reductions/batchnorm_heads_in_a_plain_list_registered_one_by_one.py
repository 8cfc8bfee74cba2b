import torch
from torch import nn


class RotHead(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.fc1 = nn.Sequential(nn.Linear(input_size, hidden_size), nn.BatchNorm1d(hidden_size))

    def forward(self, x):
        return self.fc1(x)


class RotationDiscriminator(nn.Module):
    def __init__(self, input_size, hidden_size, n_heads):
        super().__init__()
        self.heads = [RotHead(input_size, hidden_size) for _ in range(n_heads)]
        for i, head in enumerate(self.heads):
            setattr(self, f"head_{i}", head)

    def forward(self, x):
        scores = [h(x) for h in self.heads]
        return torch.cat(scores, dim=-1)


def target_separation(R, loader):
    R.eval()
    scores = []
    with torch.no_grad():
        for x in loader:
            scores.append(R(x).argmax(1))
    return scores


R = RotationDiscriminator(8, 8, 4)
target_separation(R, torch.load("x.pt"))
