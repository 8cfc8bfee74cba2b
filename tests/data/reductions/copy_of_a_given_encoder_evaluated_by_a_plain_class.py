from copy import deepcopy
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, bias=False)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x))


class Protocoler(object):
    def __init__(self, encoder):
        self.encoder = deepcopy(encoder)

    def knn_accuracy(self, train_dl):
        feats = ()
        for x, labels in train_dl:
            f = self.encoder(x)
            feats += (F.normalize(f, dim=1),)
        return torch.cat(feats)
