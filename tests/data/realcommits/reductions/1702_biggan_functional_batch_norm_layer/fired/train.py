import torch
import torch.nn as nn
import torch.nn.functional as F


class StoredBN(nn.Module):
    def __init__(self, width, eps=1e-5):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width))
        self.eps = eps
        self.register_buffer("stored_mean", torch.zeros(width))
        self.register_buffer("stored_var", torch.ones(width))

    def forward(self, x):
        return F.batch_norm(x, self.stored_mean, self.stored_var, self.gain, self.bias, self.training, 0.1, self.eps)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.body(x)


def run(config, loader):
    G = Generator()
    opt = torch.optim.Adam(G.parameters())
    for epoch in range(config["epochs"]):
        G.train()
        for x in loader:
            opt.zero_grad()
            G(x).mean().backward()
            opt.step()
            if config["G_eval_mode"]:
                G.eval()
