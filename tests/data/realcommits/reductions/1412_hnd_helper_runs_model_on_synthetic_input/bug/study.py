import torch
import torch.nn as nn
from probes import wrap_layers


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)


def score(model, loader):
    model.eval()
    hits = 0
    with torch.no_grad():
        for x, y in loader:
            hits += (model(x).argmax(1) == y).sum().item()
    return hits


def study(model, loader):
    probe = torch.rand(3, 32, 32).unsqueeze(0)
    wrap_layers(model, nn.Identity, probe)
    return score(model, loader)


def main(loader, path):
    model = Net()
    model.load_state_dict(torch.load(path))
    study(model, loader)
