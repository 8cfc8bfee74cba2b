"""Small building blocks shared by the models in this folder."""
import torch.nn as nn


def conv3x3(in_ch, out_ch, stride=1):
    """3x3 convolution with padding; no bias because a BatchNorm always follows."""
    return nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_ch, out_ch, stride=1):
    return nn.Conv2d(in_ch, out_ch, kernel_size=1, stride=stride, bias=False)


class ConvBNAct(nn.Sequential):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__(
            conv3x3(in_ch, out_ch, stride),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )
