from torch import nn
from TTS.layers.net import BatchNormConv1d


class Tacotron(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.postnet = BatchNormConv1d(c)

    def forward(self, x):
        return self.postnet(x)
