"""Temporal convolutional networks for sequence modelling.

``TemporalConvNet`` is the residual TCN of Bai et al. (2018);
``WaveNetStack`` is a gated, dilated residual stack with skip outputs.
Both take inputs of shape (batch, channels, time).
"""
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


class Chomp1d(nn.Module):
    def __init__(self, chomp_size: int):
        super().__init__()
        self.chomp_size = chomp_size

    def forward(self, x):
        return x[:, :, : -self.chomp_size].contiguous() if self.chomp_size > 0 else x


class TemporalBlock(nn.Module):
    def __init__(self, n_inputs, n_outputs, kernel_size, stride, dilation, padding, dropout=0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(n_inputs, n_outputs, kernel_size, stride=stride, padding=padding,
                      dilation=dilation, bias=False),
            Chomp1d(padding),
            nn.BatchNorm1d(n_outputs),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Conv1d(n_outputs, n_outputs, kernel_size, stride=stride, padding=padding,
                      dilation=dilation, bias=False),
            Chomp1d(padding),
            nn.BatchNorm1d(n_outputs, momentum=0.9),  # expect: BN205
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.downsample = None
        if n_inputs != n_outputs:
            self.downsample = nn.Sequential(
                nn.Conv1d(n_inputs, n_outputs, 1, bias=False),
                nn.BatchNorm2d(n_outputs),  # expect: BN202
            )
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.net(x)
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)


class TemporalConvNet(nn.Module):
    def __init__(self, num_inputs: int, num_channels: List[int], kernel_size: int = 2, dropout: float = 0.2):
        super().__init__()
        layers = []
        for i, out_ch in enumerate(num_channels):
            dilation = 2 ** i
            in_ch = num_inputs if i == 0 else num_channels[i - 1]
            layers += [
                TemporalBlock(in_ch, out_ch, kernel_size, stride=1, dilation=dilation,
                              padding=(kernel_size - 1) * dilation, dropout=dropout)
            ]
        self.network = nn.Sequential(*layers)

    def forward(self, x):
        return self.network(x)


class GatedResidualLayer(nn.Module):
    def __init__(self, residual_channels: int = 64, dilation_channels: int = 32,
                 skip_channels: int = 128, kernel_size: int = 2, dilation: int = 1):
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.filter_gate = nn.Conv1d(residual_channels, 2 * dilation_channels, kernel_size,
                                     dilation=dilation, bias=False)
        self.bn_gate = nn.BatchNorm1d(dilation_channels)  # expect: BN201
        self.residual = nn.Conv1d(dilation_channels, residual_channels, 1)
        self.skip = nn.Conv1d(dilation_channels, skip_channels, 1)

    def forward(self, x):
        h = self.bn_gate(self.filter_gate(F.pad(x, (self.pad, 0))))
        f, g = h.chunk(2, dim=1)
        z = torch.tanh(f) * torch.sigmoid(g)
        return x + self.residual(z), self.skip(z)


class WaveNetStack(nn.Module):
    def __init__(self, in_channels=1, out_channels=256, residual_channels=64,
                 dilation_channels=32, skip_channels=128, layers=10, stacks=2):
        super().__init__()
        self.input_conv = nn.Conv1d(in_channels, residual_channels, 1)
        self.layers = nn.ModuleList()
        for _ in range(stacks):
            for i in range(layers):
                self.layers.append(
                    GatedResidualLayer(residual_channels, dilation_channels, skip_channels, 2, 2 ** i)
                )
        self.post = nn.Sequential(
            nn.ReLU(),
            nn.Conv1d(skip_channels, skip_channels, 1),
            nn.ReLU(),
            nn.Conv1d(skip_channels, out_channels, 1),
        )

    def forward(self, x):
        x = self.input_conv(x)
        skips = 0
        for layer in self.layers:
            x, s = layer(x)
            skips = skips + s
        return self.post(skips)


if __name__ == "__main__":
    tcn = TemporalConvNet(num_inputs=8, num_channels=[32, 32, 64, 64], kernel_size=3)
    wavenet = WaveNetStack(layers=8, stacks=1)
    print(len(tcn.network), len(wavenet.layers))
