import torch
from torch import nn

class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(x)

    def export(self, output, example):
        torch.jit.trace(self, example).save(output)

encoder = Encoder()
encoder.eval()
encoder.export("enc.pt", torch.zeros(2, 4))
