import torch
import torch.nn as nn


class BatchNorm1d(nn.Module):
    """
    inputs: [N, T, C]
    outputs: [N, T, C]
    """

    def __init__(self, num_features):
        super().__init__()
        self.bn = nn.BatchNorm1d(num_features)

    def forward(self, inputs):
        out = self.bn(inputs.transpose(1, 2).contiguous())
        return out.transpose(1, 2)


class Conv1dBank(nn.Module):
    def __init__(self, K, in_channels, out_channels):
        super().__init__()
        self.convs = nn.ModuleList([
            nn.Conv1d(in_channels, out_channels, k, padding=k // 2, bias=False) for k in range(1, K + 1)
        ])
        self.bn = BatchNorm1d(out_channels * K)

    def forward(self, inputs):  # inputs: [N, T, C]
        x = inputs.transpose(1, 2)
        T = x.size(-1)
        outs = [conv(x)[:, :, :T] for conv in self.convs]
        out = torch.cat(outs, dim=1).transpose(1, 2)  # [N, T, C * K]
        return torch.relu(self.bn(out))
