import torch
import torch.nn as nn


class Sampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.decoder = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8))

    def forward(self, pc):
        return self.decoder(pc)


class GraspNetModel:
    def __init__(self, path):
        self.net = Sampler()
        self.net.load_state_dict(torch.load(path))

    def eval(self):
        self.net.eval()
        return self

    def generate_grasps(self, pcs):
        with torch.no_grad():
            return self.net(pcs)

    def forward(self):
        return self.net(self.pcs)


class Mixin:
    def forward(self, x):
        return self.body(x)

    def sample(self, x):
        with torch.no_grad():
            return self.body(x)


class Model(Mixin, nn.Module):
    def __init__(self):
        super().__init__()
        self.body = Sampler()
