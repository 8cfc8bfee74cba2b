import torch
from torch import nn

class Block(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(i, o, 3), nn.ReLU())

    def forward(self, x):
        return self.body(x)

class Net(nn.Module):
    def __init__(self, block=Block):
        super().__init__()
        self.layer = nn.Sequential(nn.Conv2d(3, 8, 3), block(8, 8))

    def forward(self, x):
        return self.layer(x)

def convert(net):
    return torch.jit.trace(torch.jit.script(net), torch.zeros(1, 3, 32, 32))

net = Net()
convert(net)
