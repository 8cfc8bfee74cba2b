from torch import nn

from builders import LayerBuilder


class Detector(nn.Module, LayerBuilder):
    def __init__(self, config):
        super().__init__()
        self.layers = self.build_layers(config, 3)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
