import torch
import torch.nn as nn

from alphazero import AlphaZero

model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(81))
AlphaZero(model, torch.optim.SGD(model.parameters(), lr=0.1), None).learn([], [])
