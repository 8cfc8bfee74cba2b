import torch.nn as nn

from acts import pick_act


class PairNet(nn.Module):
    def __init__(self, n_obj, n_feat, width, depth, bn=False, act='relu', pick=pick_act):
        super().__init__()
        self.n_obj, self.n_feat, self.bn, self.act, self.pick = n_obj, n_feat, bn, act, pick
        self.f = nn.Sequential(*[self._layer(n_feat if i == 0 else width, width) for i in range(depth)])

    def _layer(self, fan_in, fan_out):
        layers = [nn.Linear(fan_in, fan_out)]
        if self.act != 'linear': layers.append(self.pick(self.act))
        if self.bn: layers.append(nn.BatchNorm1d(fan_out))
        return nn.Sequential(*layers)

    def forward(self, x):
        mat = x.reshape(x.size(0), self.n_feat, self.n_obj)
        return self.f(mat.transpose(1, 2)).sum(1)
