import torch.nn as nn


class Net(nn.Module):
    def __init__(self, out_dim):
        super().__init__()
        self.fc = nn.Linear(8, out_dim, bias=False)
        self.bn = nn.BatchNorm1d(out_dim)

    def forward(self, x):
        return self.bn(self.fc(x))


def get_model_class(net_type):
    if net_type == 'net':
        return Net
    raise NotImplementedError()
