import torch
import torch.nn as nn


class BilinearUnit(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(34, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 51))

    def forward(self, x):
        return self.body(x)


def load_model(device, pretrained):
    bilinear = BilinearUnit().to(device)
    optimizer = torch.optim.Adam(bilinear.parameters())
    state = torch.load(pretrained)
    bilinear.load_state_dict(state["state"])
    return bilinear, optimizer, state["epoch"]
