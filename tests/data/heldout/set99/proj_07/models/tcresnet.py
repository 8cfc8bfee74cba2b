"""TC-ResNet (Choi et al., 2019): temporal 1-D convolutions with the mel bins
as input channels."""
import torch
import torch.nn as nn

from .frontend import LogMel


class TCBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride):
        super().__init__()
        self.conv1 = nn.Conv1d(in_ch, out_ch, 9, stride=stride, padding=4, bias=False)
        self.bn1 = nn.BatchNorm1d(out_ch)
        self.conv2 = nn.Conv1d(out_ch, out_ch, 9, stride=1, padding=4, bias=False)
        self.bn2 = nn.BatchNorm1d(out_ch)
        self.shortcut = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv1d(in_ch, out_ch, 1, stride=stride, bias=False),
                nn.BatchNorm1d(out_ch),
                nn.ReLU(inplace=True),
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class TCResNet(nn.Module):
    def __init__(self, channels, num_classes=35, n_mels=40, width_mult=1.0, dropout=0.5):
        super().__init__()
        self.frontend = LogMel(n_mels=n_mels)
        chs = [int(c * width_mult) for c in channels]
        self.stem = nn.Sequential(
            nn.Conv1d(n_mels, chs[0], 3, padding=1, bias=False),
            nn.BatchNorm1d(chs[0]),
            nn.ReLU(inplace=True),
        )
        blocks = []
        for i in range(1, len(chs)):
            blocks.append(TCBlock(chs[i - 1], chs[i], stride=2))
        self.blocks = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(chs[-1], num_classes)

    def forward(self, wav):
        x = self.frontend(wav).squeeze(1)  # (N, n_mels, T): mel bins are channels
        x = self.blocks(self.stem(x))
        x = x.mean(-1)
        return self.fc(self.dropout(x))


def TCResNet8(num_classes=35, **kwargs):
    return TCResNet([16, 24, 32, 48], num_classes=num_classes, **kwargs)


def TCResNet14(num_classes=35, **kwargs):
    return TCResNet([16, 24, 24, 32, 32, 48, 48], num_classes=num_classes, **kwargs)
