import numpy as np
import torch
from torch.nn import BatchNorm1d, Linear


class GBN(torch.nn.Module):
    """Ghost Batch Normalization https://arxiv.org/abs/1705.08741"""

    def __init__(self, input_dim, virtual_batch_size=128, momentum=0.01):
        super().__init__()
        self.input_dim = input_dim
        self.virtual_batch_size = virtual_batch_size
        self.bn = BatchNorm1d(self.input_dim, momentum=momentum)

    def forward(self, x):
        chunks = x.chunk(int(np.ceil(x.shape[0] / self.virtual_batch_size)), 0)
        res = [self.bn(x_) for x_ in chunks]
        return torch.cat(res, dim=0)


class GLU_Layer(torch.nn.Module):
    def __init__(self, input_dim, output_dim, fc=None, virtual_batch_size=128, momentum=0.02):
        super().__init__()
        self.output_dim = output_dim
        self.fc = fc if fc else Linear(input_dim, 2 * output_dim, bias=False)
        self.bn = GBN(2 * output_dim, virtual_batch_size=virtual_batch_size, momentum=momentum)

    def forward(self, x):
        x = self.bn(self.fc(x))
        return torch.mul(x[:, : self.output_dim], torch.sigmoid(x[:, self.output_dim:]))


class TabNetEncoder(torch.nn.Module):
    def __init__(self, input_dim, n_d=8, n_a=8, virtual_batch_size=128, momentum=0.02):
        super().__init__()
        self.initial_bn = BatchNorm1d(input_dim, momentum=0.01)
        self.glu1 = GLU_Layer(input_dim, n_d + n_a, virtual_batch_size=virtual_batch_size, momentum=momentum)
        self.glu2 = GLU_Layer(n_d + n_a, n_d + n_a, virtual_batch_size=virtual_batch_size, momentum=momentum)

    def forward(self, x):
        x = self.initial_bn(x)
        return self.glu2(self.glu1(x))
