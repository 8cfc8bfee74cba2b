import torch.nn as nn


class ConvBNReLU(nn.Sequential):
    """conv -> bn -> relu, the usual"""

    def __init__(self, in_ch, out_ch, kernel_size=3, stride=1):
        padding = kernel_size // 2
        super().__init__(
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )
