"""torch.export the activity-recognition model (IMU sequences) for ExecuTorch.

Input: (batch, time, 6) accelerometer + gyroscope windows.
"""
import argparse
import logging

import torch
import torch.nn as nn
from torch.export import Dim, export

logging.basicConfig(level=logging.INFO)
logger = logging.getLogger("export_har")

N_CHANNELS = 6
EMBED = 64
N_ACTIVITIES = 8


class HARNet(nn.Module):
    def __init__(self, in_ch=N_CHANNELS, embed=EMBED, n_classes=N_ACTIVITIES, n_layers=2):
        super().__init__()
        self.input_proj = nn.Linear(in_ch, embed, bias=False)
        self.input_bn = nn.BatchNorm1d(embed)
        self.tcn = nn.Sequential(
            nn.Conv1d(embed, embed, 5, padding=2, bias=False),
            nn.BatchNorm1d(embed),
            nn.GELU(),
            nn.Conv1d(embed, embed, 5, padding=4, dilation=2, bias=False),
            nn.BatchNorm1d(embed),
            nn.GELU(),
        )
        layer = nn.TransformerEncoderLayer(embed, nhead=4, dim_feedforward=128, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers)
        self.token_bn = nn.BatchNorm1d(embed)
        self.head = nn.Linear(embed, n_classes)

    def forward(self, x):
        n, t, _ = x.shape
        h = self.input_proj(x)                                # (N, T, E)
        h = self.input_bn(h.reshape(n * t, EMBED)).reshape(n, t, EMBED)
        h = self.tcn(h.permute(0, 2, 1))                      # (N, E, T)
        h = self.encoder(h.permute(0, 2, 1))                  # (N, T, E)
        h = self.token_bn(h.transpose(1, 2)).transpose(1, 2)  # normalise E on dim 1
        return self.head(h.mean(dim=1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", default="har_net.pt")
    parser.add_argument("--out", default="har_net.pt2")
    parser.add_argument("--window", type=int, default=128)
    args = parser.parse_args()

    model = HARNet()
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    model.eval()

    example = (torch.randn(4, args.window, N_CHANNELS),)
    batch = Dim("batch", min=1, max=256)
    program = export(model, example, dynamic_shapes=({0: batch},))
    logger.info("exported graph with %d nodes", len(program.graph.nodes))

    with torch.no_grad():
        eager = model(*example)
        exported = program.module()(*example)
    torch.testing.assert_close(eager, exported, rtol=1e-4, atol=1e-4)
    torch.export.save(program, args.out)
    logger.info("saved %s", args.out)


if __name__ == "__main__":
    main()
