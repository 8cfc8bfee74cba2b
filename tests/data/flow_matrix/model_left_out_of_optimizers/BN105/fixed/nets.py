import torch
import torch.nn as nn


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Disparity(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(block(6, 32), block(32, 32), nn.Conv2d(32, 1, 3, padding=1))

    def forward(self, left, right):
        return self.body(torch.cat([left, right], 1))


class Refine(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(block(4, 32), nn.Conv2d(32, 1, 3, padding=1))

    def forward(self, left, disparity):
        return disparity + self.body(torch.cat([left, disparity], 1))
