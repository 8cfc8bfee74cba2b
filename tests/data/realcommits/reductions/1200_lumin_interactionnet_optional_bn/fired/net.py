import torch.nn as nn


class PairNet(nn.Module):
    def __init__(self, n_obj, n_feat, width, depth, bn=False, act='relu'):
        super().__init__()
        self.n_obj, self.n_feat = n_obj, n_feat
        self.f = self._layer(n_feat, width)

    def _layer(self, fan_in, fan_out):
        layers = [nn.Linear(fan_in, fan_out)]
        layers.append(nn.ReLU())
        layers.append(nn.BatchNorm1d(fan_out))
        return nn.Sequential(*layers)

    def forward(self, x):
        mat = x.reshape(x.size(0), self.n_feat, self.n_obj)
        return self.f(mat.transpose(1, 2)).sum(1)
