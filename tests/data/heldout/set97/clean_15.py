"""Human-activity recognition from IMU sequences (accelerometer + gyroscope).

Three encoders are compared; all of them normalise the channel/feature axis
correctly for BatchNorm1d: (N, C, L) for Conv1d stacks, transposed embeddings
for the token model, and flattened (N*L, E) rows for the GRU model.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("har")

N_CHANNELS = 6
SEQ_LEN = 128
NUM_ACTIVITIES = 12


@dataclass
class HarConfig:
    encoder: Literal["tcn", "tokens", "gru"] = "tcn"
    hidden: int = 128
    batch_size: int = 64
    epochs: int = 30
    lr: float = 2e-3
    dilations: list[int] = field(default_factory=lambda: [1, 2, 4, 8])


class TCNEncoder(nn.Module):
    def __init__(self, hidden: int, dilations: list[int]) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv1d(N_CHANNELS, hidden, 1, bias=False), nn.BatchNorm1d(hidden), nn.ReLU()]
        for d in dilations:
            layers += [
                nn.Conv1d(hidden, hidden, 3, padding=d, dilation=d, bias=False),
                nn.BatchNorm1d(hidden),
                nn.ReLU(),
                nn.Dropout(0.1),
            ]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, C, L)
        return self.net(x).mean(dim=-1)


class TokenEncoder(nn.Module):
    """Quantised IMU readings treated as tokens."""

    def __init__(self, hidden: int, vocab: int = 512) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        layer = nn.TransformerEncoderLayer(hidden, 4, 2 * hidden, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.norm = nn.LayerNorm(hidden)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # (N, L)
        x = self.embed(tokens)                       # (N, L, E)
        x = self.bn(x.transpose(1, 2)).transpose(1, 2)
        x = self.norm(self.encoder(x))               # LayerNorm on (N, L, E) is fine
        return x.mean(dim=1)


class GRUEncoder(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.gru = nn.GRU(N_CHANNELS, hidden, num_layers=2, batch_first=True, dropout=0.1)
        self.bn = nn.BatchNorm1d(hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, C, L)
        out, _ = self.gru(x.transpose(1, 2))         # (N, L, H)
        n, length, h = out.shape
        out = self.bn(out.reshape(n * length, h)).view(n, length, h)
        return out[:, -1]


class HarModel(nn.Module):
    def __init__(self, cfg: HarConfig) -> None:
        super().__init__()
        if cfg.encoder == "tcn":
            self.encoder: nn.Module = TCNEncoder(cfg.hidden, cfg.dilations)
        elif cfg.encoder == "tokens":
            self.encoder = TokenEncoder(cfg.hidden)
        else:
            self.encoder = GRUEncoder(cfg.hidden)
        self.head = nn.Sequential(
            nn.Linear(cfg.hidden, 64, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Linear(64, NUM_ACTIVITIES),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def quantise(x: torch.Tensor, vocab: int = 512) -> torch.Tensor:
    x = (x - x.amin()) / (x.amax() - x.amin() + 1e-8)
    return (x.mean(dim=1) * (vocab - 1)).long()   # (N, L)


def run(cfg: HarConfig, train: TensorDataset, val: TensorDataset) -> float:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = HarModel(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    train_loader = DataLoader(train, batch_size=cfg.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val, batch_size=512)
    prep = quantise if cfg.encoder == "tokens" else (lambda t: t)

    for _ in range(cfg.epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(prep(x.to(device))), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()

    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in val_loader:
            correct += (model(prep(x.to(device))).argmax(1).cpu() == y).sum().item()
    return correct / len(val)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    blob = torch.load("data/har_windows.pt", weights_only=True)
    train_ds = TensorDataset(blob["train_x"], blob["train_y"])
    val_ds = TensorDataset(blob["val_x"], blob["val_y"])
    for enc in ("tcn", "tokens", "gru"):
        log.info("%s: val acc %.4f", enc, run(HarConfig(encoder=enc), train_ds, val_ds))
