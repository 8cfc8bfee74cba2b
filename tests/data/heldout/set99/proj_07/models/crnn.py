"""Convolutional recurrent network (Arik et al., 2017 style).

Note the conv -> ReLU -> BN ordering of the original paper: the conv bias is
not cancelled by the normalisation because of the non-linearity in between.
"""
import torch
import torch.nn as nn

from .frontend import LogMel


class CRNN(nn.Module):
    def __init__(self, num_classes=35, n_mels=40, conv_channels=32, rnn_hidden=128,
                 rnn_layers=2, dropout=0.2):
        super().__init__()
        self.frontend = LogMel(n_mels=n_mels)
        self.conv = nn.Sequential(
            nn.Conv2d(1, conv_channels, kernel_size=(5, 5), stride=(2, 1), padding=(2, 2)),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(conv_channels),
            nn.Conv2d(conv_channels, conv_channels, kernel_size=(3, 3), stride=(2, 1), padding=1),
            nn.ReLU(inplace=True),
            nn.BatchNorm2d(conv_channels),
        )
        freq_out = n_mels // 4
        self.rnn = nn.GRU(conv_channels * freq_out, rnn_hidden, num_layers=rnn_layers,
                          batch_first=True, bidirectional=True, dropout=dropout)
        self.rnn_bn = nn.BatchNorm1d(2 * rnn_hidden)
        self.attn = nn.Linear(2 * rnn_hidden, 1)
        self.fc = nn.Linear(2 * rnn_hidden, num_classes)

    def forward(self, wav):
        x = self.conv(self.frontend(wav))  # (N, C, F', T)
        n, c, f, t = x.shape
        x = x.permute(0, 3, 1, 2).reshape(n, t, c * f)  # (N, T, C*F')
        out, _ = self.rnn(x)  # (N, T, 2H)
        out = self.rnn_bn(out.transpose(1, 2)).transpose(1, 2)  # BN over the feature axis
        w = torch.softmax(self.attn(out), dim=1)  # (N, T, 1)
        return self.fc((w * out).sum(1))
