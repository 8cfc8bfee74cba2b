import torch.nn as nn


def pick_act(name):
    if name == 'relu': return nn.ReLU()
    raise ValueError(name)


class FlatNet(nn.Module):
    """The layers of a one-line `if bn:` on (N, C) features: BatchNorm1d is right there."""

    def __init__(self, n_feat, width, depth, bn=False, act='relu'):
        super().__init__()
        self.n_feat, self.bn, self.act = n_feat, bn, act
        self.f = nn.Sequential(*[self._layer(n_feat if i == 0 else width, width) for i in range(depth)])

    def _layer(self, fan_in, fan_out):
        layers = [nn.Linear(fan_in, fan_out, bias=False)]
        if self.bn: layers.append(nn.BatchNorm1d(fan_out))
        if self.act != 'linear': layers.append(pick_act(self.act))
        return nn.Sequential(*layers)

    def forward(self, x):
        return self.f(x.reshape(x.size(0), self.n_feat))
