import torch

import torch.nn as nn


class Net(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, width), nn.BatchNorm1d(width))

    def forward(self, x):
        return self.body(x)


def evaluate(batch, model_class, kwargs):
    model = model_class(**kwargs)
    with torch.no_grad():
        return model(batch).argmax(1)


evaluate(torch.rand(2, 4), Net, dict(width=8))
