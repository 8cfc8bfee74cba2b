import torch
from torch import nn

backbone = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
head = nn.Linear(8, 2)
model = nn.Sequential(backbone, head)
backbone.eval()
for p in backbone.parameters():
    p.requires_grad = False
opt = torch.optim.SGD(head.parameters(), lr=0.1)
for epoch in range(3):
    model.train()
    for x, y in []:
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
