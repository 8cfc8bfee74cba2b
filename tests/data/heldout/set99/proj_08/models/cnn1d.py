"""1-D convolutional surrogate: maps a sampled input field u0(x) on a grid to
the solution u(x, T) on the same grid."""
import torch
import torch.nn as nn


class ConvStage(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size=5):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv1d(in_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=False),
            nn.BatchNorm1d(out_ch),
            nn.GELU(),
            nn.Conv1d(out_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=False),
            nn.BatchNorm1d(out_ch),
            nn.GELU(),
        )

    def forward(self, x):
        return self.block(x)


class CNN1d(nn.Module):
    def __init__(self, in_channels=2, out_channels=1, widths=(64, 128, 128, 64)):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(in_channels, widths[0], kernel_size=5, padding=2, bias=False),
            nn.BatchNorm2d(widths[0]),  # expect: BN202
            nn.GELU(),
        )
        stages = []
        for cin, cout in zip(widths[:-1], widths[1:]):
            stages.append(ConvStage(cin, cout))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Conv1d(widths[-1], out_channels, kernel_size=1)

    def forward(self, u0, grid):
        x = torch.stack([u0, grid], dim=1)  # (N, 2, S)
        x = self.stages(self.stem(x))
        return self.head(x).squeeze(1)


def build(grid_size=None, widths=(64, 128, 128, 64), **unused):
    return CNN1d(in_channels=2, out_channels=1, widths=tuple(widths))
