"""Fine-tune a BN CNN with gradient accumulation: effective batch 128, micro-batch 16."""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

EFFECTIVE_BATCH = 128
ACCUM_STEPS = 8
MICRO_BATCH = EFFECTIVE_BATCH // ACCUM_STEPS


class Flowers(Dataset):
    """Stand-in for a flower dataset: 3000 coloured images, 17 classes."""

    def __init__(self, n=3000, size=96, seed=0):
        self.n, self.size, self.seed = n, size, seed

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(self.seed + idx)
        label = idx % 17
        hue = torch.tensor([label / 17.0, 1.0 - label / 17.0, 0.5]).view(3, 1, 1)
        img = hue + 0.2 * torch.randn(3, self.size, self.size, generator=g)
        return img, label


class InvertedResidual(nn.Module):
    def __init__(self, channels, expand=4):
        super().__init__()
        hidden = channels * expand
        self.block = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, channels, 1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x):
        return x + self.block(x)


class MobileLite(nn.Module):
    def __init__(self, num_classes=17, width=32):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU6(inplace=True),
        )
        self.blocks = nn.Sequential(*[InvertedResidual(width) for _ in range(4)])
        self.head = nn.Linear(width, num_classes)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.02)
    args = parser.parse_args()

    dataset = Flowers()
    loader = DataLoader(dataset, batch_size=MICRO_BATCH, shuffle=True, num_workers=4, drop_last=True)
    updates_per_epoch = math.floor(len(loader) / ACCUM_STEPS)

    model = MobileLite()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * updates_per_epoch)

    for epoch in range(args.epochs):
        model.train()
        optimizer.zero_grad()
        for i, (images, labels) in enumerate(loader):
            loss = F.cross_entropy(model(images), labels) / ACCUM_STEPS
            loss.backward()
            if (i + 1) % ACCUM_STEPS == 0:
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
        print(f"epoch {epoch}: last micro-batch loss {loss.item() * ACCUM_STEPS:.4f}")

    torch.save(model.state_dict(), "mobile_lite_flowers.pt")


if __name__ == "__main__":
    main()
