"""Res8 / Res15 (Tang & Lin, ICASSP 2018): dilated residual CNNs whose BN
layers have no affine parameters."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .frontend import LogMel


class ResKWS(nn.Module):
    def __init__(self, num_classes=35, n_maps=45, n_layers=13, dilation=True, pool=None,
                 n_mels=40):
        super().__init__()
        self.frontend = LogMel(n_mels=n_mels)
        self.conv0 = nn.Conv2d(1, n_maps, (3, 3), padding=(1, 1), bias=False)
        self.pool = nn.AvgPool2d(pool) if pool else None
        self.n_layers = n_layers
        self.convs = nn.ModuleList()
        self.bns = nn.ModuleList()
        for i in range(n_layers):
            d = int(2 ** (i // 3)) if dilation else 1
            self.convs.append(nn.Conv2d(n_maps, n_maps, (3, 3), padding=d, dilation=d, bias=False))
            self.bns.append(nn.BatchNorm2d(n_maps, affine=False))
        self.output = nn.Linear(n_maps, num_classes)

    def forward(self, wav):
        x = self.frontend(wav)
        old_x = None
        for i in range(self.n_layers + 1):
            y = F.relu(self.conv0(x) if i == 0 else self.convs[i - 1](x))
            if i == 0:
                if self.pool is not None:
                    y = self.pool(y)
                old_x = y
            if i > 0 and i % 2 == 0:
                x = y + old_x
                old_x = x
            else:
                x = y
            if i > 0:
                x = self.bns[i - 1](x)
        x = x.mean((2, 3))
        return self.output(x)


def Res8(num_classes=35, **kwargs):
    return ResKWS(num_classes, n_maps=45, n_layers=6, dilation=False, pool=(4, 3), **kwargs)


def Res15(num_classes=35, **kwargs):
    return ResKWS(num_classes, n_maps=45, n_layers=13, dilation=True, **kwargs)
