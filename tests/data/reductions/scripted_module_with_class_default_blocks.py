import torch
import torch_tensorrt
from torch import nn

class Block(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(i, o, 3, bias=False), nn.BatchNorm2d(o))

    def forward(self, x):
        return self.body(x)

class Net(nn.Module):
    def __init__(self, block=Block):
        super().__init__()
        self.block = block
        self.layer = nn.Sequential(nn.Conv2d(3, 8, 3), self.block(8, 8))

    def forward(self, x):
        return self.layer(x)

def convert(net):
    scripted = torch.jit.script(net)
    return torch_tensorrt.compile(scripted, inputs=[torch_tensorrt.Input([1, 3, 32, 32])])

net = Net()
convert(net)
