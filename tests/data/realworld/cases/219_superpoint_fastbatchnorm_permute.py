from torch import nn


class FastBatchNorm1d(nn.Module):
    """Credits: https://github.com/torch-points3d/torch-points3d"""

    def __init__(self, num_features, momentum=0.1, **kwargs):
        super().__init__()
        self.batch_norm = nn.BatchNorm1d(num_features, momentum=momentum, **kwargs)

    def _forward_dense(self, x):
        return self.batch_norm(x.permute(0, 2, 1)).permute(0, 2, 1)

    def _forward_sparse(self, x):
        x = x.unsqueeze(2)
        x = x.transpose(0, 2)
        x = self.batch_norm(x)
        x = x.transpose(0, 2)
        return x.squeeze(dim=2)

    def forward(self, x):
        if x.dim() == 2:
            return self._forward_sparse(x)
        elif x.dim() == 3:
            return self._forward_dense(x)
        raise ValueError("Non supported number of dimensions {}".format(x.dim()))


def mlp(dims, activation=nn.LeakyReLU(), last_activation=True, momentum=0.1):
    modules = []
    for i in range(1, len(dims)):
        modules.append(nn.Linear(dims[i - 1], dims[i], bias=False))
        if i < len(dims) - 1 or last_activation:
            modules.append(FastBatchNorm1d(dims[i], momentum=momentum))
            modules.append(activation)
    return nn.Sequential(*modules)


class PointEncoder(nn.Module):
    def __init__(self, dims=(6, 32, 64)):
        super().__init__()
        self.mlp = mlp(list(dims))

    def forward(self, x):
        # x: (num_segments, points_per_segment, C) or flat (N, C)
        return self.mlp(x)
