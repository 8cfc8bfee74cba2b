import torch
from torch import nn

backbone = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
head = nn.Linear(8, 2)
for p in backbone.parameters():
    p.requires_grad = False
opt = torch.optim.SGD(head.parameters(), lr=0.1)
for x, y in []:
    loss = nn.functional.cross_entropy(head(backbone(x)), y)
    loss.backward()
    opt.step()
