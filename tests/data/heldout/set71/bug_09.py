"""Convolutional LSTM for spatio-temporal forecasting (e.g. precipitation nowcasting).

Input clips are (batch, channels, time, height, width).  A small 3D stem
embeds each frame, then a stack of ConvLSTM cells runs over time.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn


class ConvLSTMCell(nn.Module):
    def __init__(self, input_dim: int, hidden_dim: int, kernel_size: int = 3, use_bn: bool = True):
        super().__init__()
        self.input_dim = input_dim
        self.hidden_dim = hidden_dim
        padding = kernel_size // 2
        self.gates = nn.Conv2d(
            input_dim + hidden_dim, 4 * hidden_dim, kernel_size, padding=padding, bias=not use_bn
        )
        self.norm = nn.BatchNorm2d(hidden_dim) if use_bn else nn.Identity()  # expect: BN201

    def forward(self, x: torch.Tensor, state: Tuple[torch.Tensor, torch.Tensor]):
        h_cur, c_cur = state
        combined = torch.cat([x, h_cur], dim=1)
        gates = self.norm(self.gates(combined))
        i, f, o, g = torch.split(gates, self.hidden_dim, dim=1)
        i = torch.sigmoid(i)
        f = torch.sigmoid(f)
        o = torch.sigmoid(o)
        g = torch.tanh(g)
        c_next = f * c_cur + i * g
        h_next = o * torch.tanh(c_next)
        return h_next, c_next

    def init_hidden(self, batch_size: int, size: Tuple[int, int], device=None):
        h, w = size
        zeros = torch.zeros(batch_size, self.hidden_dim, h, w, device=device)
        return zeros, zeros.clone()


class ConvLSTM(nn.Module):
    def __init__(self, input_dim: int, hidden_dims: List[int], kernel_size: int = 3):
        super().__init__()
        self.hidden_dims = hidden_dims
        cells = []
        for i, hidden in enumerate(hidden_dims):
            cur_input_dim = input_dim if i == 0 else hidden_dims[i - 1]
            cells.append(ConvLSTMCell(cur_input_dim, hidden, kernel_size))
        self.cells = nn.ModuleList(cells)

    def forward(self, x: torch.Tensor, hidden: Optional[list] = None):
        # x: (B, T, C, H, W)
        b, t, _, h, w = x.shape
        if hidden is None:
            hidden = [cell.init_hidden(b, (h, w), x.device) for cell in self.cells]
        layer_input = x
        last_states = []
        for layer_idx, cell in enumerate(self.cells):
            h_t, c_t = hidden[layer_idx]
            outputs = []
            for step in range(t):
                h_t, c_t = cell(layer_input[:, step], (h_t, c_t))
                outputs.append(h_t)
            layer_input = torch.stack(outputs, dim=1)
            last_states.append((h_t, c_t))
        return layer_input, last_states


class NowcastNet(nn.Module):
    def __init__(self, in_channels: int = 1, stem_channels: int = 16,
                 hidden_dims=(32, 64, 64), out_channels: int = 1):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(in_channels, stem_channels, kernel_size=(1, 3, 3), padding=(0, 1, 1), bias=False),
            nn.BatchNorm2d(stem_channels),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Conv3d(stem_channels, stem_channels, kernel_size=(3, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(stem_channels),
            nn.ReLU(inplace=True),
        )
        self.encoder = ConvLSTM(stem_channels, list(hidden_dims))
        self.head = nn.Sequential(
            nn.Conv2d(hidden_dims[-1], hidden_dims[-1] // 2, 3, padding=1, bias=False),
            nn.BatchNorm2d(hidden_dims[-1] // 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden_dims[-1] // 2, out_channels, 1),
        )

    def forward(self, clip: torch.Tensor, future_steps: int = 1) -> torch.Tensor:
        x = self.stem(clip)               # (B, C, T, H, W)
        x = x.permute(0, 2, 1, 3, 4)      # (B, T, C, H, W)
        seq, states = self.encoder(x)
        last = seq[:, -1]
        preds = []
        for _ in range(future_steps):
            preds.append(self.head(last))
        return torch.stack(preds, dim=2)


if __name__ == "__main__":
    net = NowcastNet(in_channels=1, hidden_dims=(16, 32))
    print(net.encoder.cells[0].gates)
