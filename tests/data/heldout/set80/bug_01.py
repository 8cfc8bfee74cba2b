"""Train a small CNN classifier on synthetic CIFAR-like data.

Usage: python train_cnn.py --epochs 20 --lr 0.05
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 64
NUM_TRAIN = 1025
NUM_VAL = 256


class SmallConvNet(nn.Module):
    def __init__(self, num_classes=10, width=32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, width * 2, 3, padding=1, bias=False),
            nn.BatchNorm2d(width * 2),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(width * 2, num_classes)

    def forward(self, x):
        x = self.features(x)
        return self.fc(torch.flatten(x, 1))


def build_loaders():
    train_x = torch.randn(NUM_TRAIN, 3, 32, 32)
    train_y = torch.randint(0, 10, (NUM_TRAIN,))
    val_x = torch.randn(NUM_VAL, 3, 32, 32)
    val_y = torch.randint(0, 10, (NUM_VAL,))
    train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
    val_loader = DataLoader(TensorDataset(val_x, val_y), batch_size=BATCH_SIZE, shuffle=False)
    return train_loader, val_loader


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    running = 0.0
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), targets)
        loss.backward()
        optimizer.step()
        running += loss.item() * images.size(0)
    return running / len(loader.dataset)


@torch.no_grad()
def validate(model, loader, device):
    correct, total = 0, 0
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        logits = model(images)  # expect: BN101
        correct += (logits.argmax(dim=1) == targets).sum().item()
        total += targets.numel()
    return correct / max(total, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = SmallConvNet().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    train_loader, val_loader = build_loaders()

    best = 0.0
    for epoch in range(args.epochs):
        start = time.time()
        loss = train_one_epoch(model, train_loader, optimizer, device)
        acc = validate(model, val_loader, device)
        scheduler.step()
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "best.pt")
        print(f"epoch {epoch:3d} loss {loss:.4f} acc {acc:.4f} ({time.time() - start:.1f}s)")
    print(f"best accuracy {best:.4f}")


if __name__ == "__main__":
    main()
