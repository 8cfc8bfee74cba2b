from torch import nn


class LayerBuilder:
    """Builds conv blocks from a list of (out_channels, kernel) pairs."""

    def build_layers(self, config, in_channels):
        layers = nn.ModuleList()
        for out_channels, kernel in config:
            layers.append(self.block(in_channels, out_channels, kernel))
            in_channels = out_channels
        return layers

    def block(self, in_channels, out_channels, kernel):
        return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel, bias=False), nn.BatchNorm2d(out_channels),
                             nn.LeakyReLU(0.1))
