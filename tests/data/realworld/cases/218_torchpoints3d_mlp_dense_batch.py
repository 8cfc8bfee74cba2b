import torch
import torch.nn as nn
from torch.nn import Linear as Lin
from torch.nn import Sequential as Seq


class FastBatchNorm1d(nn.Module):
    def __init__(self, num_features, momentum=0.1):
        super().__init__()
        self.batch_norm = nn.BatchNorm1d(num_features, momentum=momentum)

    def _forward_dense(self, x):
        return self.batch_norm(x)

    def _forward_sparse(self, x):
        """BatchNorm1d on (N, C) point features, arranged as one long sequence."""
        x = x.unsqueeze(2).transpose(0, 2)
        x = self.batch_norm(x)
        return x.transpose(0, 2).squeeze()

    def forward(self, x):
        if x.dim() == 2:
            return self._forward_sparse(x)
        elif x.dim() == 3:
            return self._forward_dense(x)
        raise ValueError("Non supported number of dimensions {}".format(x.dim()))


class MLP(Seq):
    def __init__(self, channels, activation=nn.LeakyReLU(0.2), bn_momentum=0.1, bias=True):
        super().__init__(*[
            Seq(Lin(channels[i - 1], channels[i], bias=bias),
                FastBatchNorm1d(channels[i], momentum=bn_momentum),
                activation)
            for i in range(1, len(channels))
        ])


class PointNetRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.local_nn = MLP([3, 64, 128, 1024])
        self.head = nn.Linear(1024, 1)

    def forward(self, data):
        x = self.local_nn(data.pos)  # data.pos: (batch, num_points, 3), e.g. (8, 500, 3)
        return self.head(x.max(dim=1)[0])
