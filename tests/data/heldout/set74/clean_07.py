"""Texture classification; the run configuration is a dataclass with per-run overrides."""
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


@dataclass(frozen=True)
class RunConfig:
    # Defaults describe the inference service; training runs override them.
    batch_size: int = 1
    num_samples: int = 4000
    num_classes: int = 6
    patch: int = 32
    epochs: int = 1
    lr: float = 1e-3


TRAIN_RUN = RunConfig(batch_size=32, epochs=12)
SERVE_RUN = RunConfig()


class TexturePatches(Dataset):
    def __init__(self, cfg: RunConfig, seed: int):
        self.cfg = cfg
        self.seed = seed

    def __len__(self):
        return 4000

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(self.seed * 7919 + idx)
        label = idx % self.cfg.num_classes
        freq = 2.0 + 3.0 * label
        xs = torch.linspace(0, 1, self.cfg.patch)
        pattern = torch.sin(2 * torch.pi * freq * (xs[None, :] + xs[:, None]))
        patch = pattern + 0.3 * torch.randn(self.cfg.patch, self.cfg.patch, generator=g)
        return patch.unsqueeze(0).repeat(3, 1, 1), label


class TextureNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 48, 5, padding=2, bias=False),
            nn.BatchNorm2d(48),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(48, 96, 3, padding=1, bias=False),
            nn.BatchNorm2d(96),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(96, 96, 3, padding=1, bias=False),
            nn.BatchNorm2d(96),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(96, num_classes)

    def forward(self, x):
        return self.classifier(self.body(x).mean(dim=(2, 3)))


def train(cfg: RunConfig) -> TextureNet:
    loader = DataLoader(TexturePatches(cfg, seed=0), batch_size=cfg.batch_size, shuffle=True)
    model = TextureNet(cfg.num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    for epoch in range(cfg.epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: {loss.item():.4f}")
    return model


def serve(model: TextureNet, cfg: RunConfig) -> float:
    model.eval()
    loader = DataLoader(TexturePatches(cfg, seed=1), batch_size=cfg.batch_size)
    correct = 0
    with torch.inference_mode():
        for x, y in loader:
            correct += int(model(x).argmax(1).item() == y.item())
    return correct / len(loader)


if __name__ == "__main__":
    net = train(TRAIN_RUN)
    print("serving accuracy:", serve(net, replace(SERVE_RUN, num_classes=TRAIN_RUN.num_classes)))
