import torch
import torch.nn as nn


class Tokens(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, 4, stride=4, bias=False)
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, img):
        x = self.proj(img).flatten(2).transpose(1, 2)
        return self.bn(x)


class Block(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.norm = nn.BatchNorm1d(dim)

    def forward(self, x):
        return x + self.norm(x.transpose(1, 2)).transpose(1, 2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = Tokens()
        self.block = Block()

    def forward(self, img):
        return self.block(self.tokens(img))


net = Net()
out = net(torch.randn(8, 3, 32, 32))
