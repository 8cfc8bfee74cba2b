import torch
import torch.nn as nn


class Tacotron(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(8)

    def forward(self, x):
        return self.bn(x)

    def load(self, path):
        self.load_state_dict(torch.load(path))
        self.eval()
