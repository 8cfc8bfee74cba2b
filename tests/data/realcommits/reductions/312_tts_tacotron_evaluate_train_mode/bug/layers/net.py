from torch import nn


class BatchNormConv1d(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 3, bias=False)
        self.bn = nn.BatchNorm1d(c)

    def forward(self, x):
        return self.bn(self.conv(x))
