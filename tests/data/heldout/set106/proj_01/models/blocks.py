import torch.nn as nn


def conv_bn_act(in_ch, out_ch, kernel_size=3, stride=1, act=True):
    """Conv1d -> BatchNorm1d -> ReLU, 'same' padding."""
    layers = [
        nn.Conv1d(in_ch, out_ch, kernel_size, stride=stride, padding=kernel_size // 2, bias=False),
        nn.BatchNorm1d(out_ch),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ResidualBlock1d(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv1 = conv_bn_act(in_ch, out_ch, 7, stride)
        self.conv2 = conv_bn_act(out_ch, out_ch, 7, 1, act=False)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = conv_bn_act(in_ch, out_ch, 1, stride, act=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.conv2(self.conv1(x)) + identity)
