import torch.nn as nn


def conv_bn_relu(in_channels, out_channels, kernel_size=3, padding=1, dilation=1):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, dilation=dilation,
                  bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class FCNHead(nn.Sequential):
    """Auxiliary head on C3 (deep supervision)."""

    def __init__(self, in_channels, num_classes, channels=256, dropout=0.1):
        super().__init__(
            conv_bn_relu(in_channels, channels, 3, padding=1),
            nn.Dropout2d(dropout),
            nn.Conv2d(channels, num_classes, kernel_size=1),
        )
