import torch
from torch import nn


def get_norm(norm, channels):
    return {"BN": nn.BatchNorm2d, "SyncBN": nn.SyncBatchNorm}[norm](channels)


model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.SyncBatchNorm(8), nn.ReLU())
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x in [torch.randn(4, 3, 8, 8)]:
    model(x).mean().backward()
    optimizer.step()
