import torch
import torch_tensorrt
from torch import nn


class Encode(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.layer = nn.Sequential(nn.Conv2d(i, o, 3, bias=False), nn.BatchNorm2d(o), nn.ReLU())

    def forward(self, x):
        return self.layer(x)


class Net(nn.Module):
    def __init__(self, encode_block=Encode):
        super().__init__()
        self.encode_block = encode_block
        self.make_layers()

    def make_layers(self):
        self.encoder = nn.Sequential(nn.Conv2d(3, 32, 3), Encode(32, 64))

    def forward(self, x):
        return self.encoder(x)


def convert(net):
    trace_model = torch.jit.script(net)
    return torch_tensorrt.compile(trace_model, inputs=[torch_tensorrt.Input([1, 3, 224, 224])])


if __name__ == "__main__":
    net = Net()
    convert(net)
