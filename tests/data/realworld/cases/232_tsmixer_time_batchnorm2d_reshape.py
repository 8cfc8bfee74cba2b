import torch
import torch.nn as nn


class TimeBatchNorm2d(nn.BatchNorm1d):
    """Batch normalization over the time and feature dimensions of (N, S, C) inputs."""

    def __init__(self, normalized_shape):
        num_time_steps, num_channels = normalized_shape
        super().__init__(num_channels * num_time_steps)
        self.num_time_steps = num_time_steps
        self.num_channels = num_channels

    def forward(self, x):
        if x.ndim != 3:
            raise ValueError(f"Expected 3D input tensor, but got {x.ndim}D tensor instead.")
        x = x.reshape(x.shape[0], -1, 1)
        x = super().forward(x)
        return x.reshape(x.shape[0], self.num_time_steps, self.num_channels)


class TimeMixing(nn.Module):
    def __init__(self, sequence_length, input_channels, norm_type="batch"):
        super().__init__()
        norm_cls = TimeBatchNorm2d if norm_type == "batch" else nn.LayerNorm
        self.norm = norm_cls((sequence_length, input_channels))
        self.fc1 = nn.Linear(sequence_length, sequence_length)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):  # x: (N, S, C)
        x_temp = x.permute(0, 2, 1)
        x_temp = torch.relu(self.fc1(x_temp))
        x_res = self.dropout(x_temp.permute(0, 2, 1))
        return self.norm(x + x_res)
