"""Encoder-forecaster ConvLSTM for video frame prediction.

A 3D convolutional stem mixes short-range motion, a per-frame 2D encoder
downsamples each frame, and stacked ConvLSTM cells (with batch-normalised
gate pre-activations) model the dynamics.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn

GATES = 4


class ConvLSTMCell(nn.Module):
    def __init__(self, input_dim: int, hidden_dim: int, kernel_size: Tuple[int, int] = (3, 3)):
        super().__init__()
        self.hidden_dim = hidden_dim
        padding = (kernel_size[0] // 2, kernel_size[1] // 2)
        self.conv_x = nn.Conv2d(input_dim, GATES * hidden_dim, kernel_size, padding=padding, bias=False)
        self.conv_h = nn.Conv2d(hidden_dim, GATES * hidden_dim, kernel_size, padding=padding, bias=False)
        self.bn_x = nn.BatchNorm2d(4 * hidden_dim)
        self.bn_h = nn.BatchNorm2d(GATES * hidden_dim)
        self.bn_c = nn.BatchNorm2d(hidden_dim)

    def forward(self, x, state):
        h, c = state
        gates = self.bn_x(self.conv_x(x)) + self.bn_h(self.conv_h(h))
        i, f, g, o = gates.chunk(GATES, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(self.bn_c(c))
        return h, c

    def zero_state(self, batch: int, height: int, width: int, device):
        z = torch.zeros(batch, self.hidden_dim, height, width, device=device)
        return z, z.clone()


class FrameEncoder(nn.Module):
    def __init__(self, in_ch: int, widths: Sequence[int] = (32, 64)):
        super().__init__()
        layers = []
        prev = in_ch
        for w in widths:
            layers += [
                nn.Conv2d(prev, w, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(w),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            prev = w
        self.net = nn.Sequential(*layers)
        self.out_channels = prev

    def forward(self, x):
        # x: (B, T, C, H, W) -> run the 2D encoder on every frame
        b, t = x.shape[:2]
        y = self.net(x.flatten(0, 1))
        return y.view(b, t, *y.shape[1:])


class VideoForecaster(nn.Module):
    def __init__(self, in_ch: int = 3, stem_ch: int = 16, enc_widths=(32, 64),
                 hidden_dims: List[int] = (64, 64)):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(in_ch, stem_ch, kernel_size=(3, 3, 3), padding=1, bias=False),
            nn.BatchNorm3d(stem_ch),
            nn.ReLU(inplace=True),
        )
        self.encoder = FrameEncoder(stem_ch, enc_widths)
        cells = []
        for i, hd in enumerate(hidden_dims):
            cur_in = self.encoder.out_channels if i == 0 else hidden_dims[i - 1]
            cells.append(ConvLSTMCell(cur_in, hd))
        self.cells = nn.ModuleList(cells)
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(hidden_dims[-1], 32, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(32, in_ch, 4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, clip: torch.Tensor, horizon: int = 5) -> torch.Tensor:
        # clip: (B, C, T, H, W)
        x = self.stem(clip).transpose(1, 2)            # (B, T, C, H, W)
        feats = self.encoder(x)
        b, t, _, h, w = feats.shape
        states = [cell.zero_state(b, h, w, clip.device) for cell in self.cells]
        for step in range(t):
            inp = feats[:, step]
            for li, cell in enumerate(self.cells):
                states[li] = cell(inp, states[li])
                inp = states[li][0]
        preds = []
        for _ in range(horizon):
            inp = states[-1][0]
            preds.append(self.decoder(inp))
            for li, cell in enumerate(self.cells):
                states[li] = cell(inp if li == 0 else states[li - 1][0], states[li])
        return torch.stack(preds, dim=2)


if __name__ == "__main__":
    model = VideoForecaster(hidden_dims=[64, 64])
    print(model.cells[0].conv_x)
