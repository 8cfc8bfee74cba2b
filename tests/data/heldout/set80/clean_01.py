"""Train a small CNN on synthetic data; evaluation helper relies on caller's eval()."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

NUM_TRAIN = 2049
NUM_VAL = 300


class ConvNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.body(x)


def make_loaders(batch_size):
    train_ds = TensorDataset(torch.randn(NUM_TRAIN, 1, 28, 28), torch.randint(0, 10, (NUM_TRAIN,)))
    val_ds = TensorDataset(torch.randn(NUM_VAL, 1, 28, 28), torch.randint(0, 10, (NUM_VAL,)))
    train = DataLoader(train_ds, batch_size=batch_size, shuffle=True, drop_last=True)
    # per-sample predictions for the error analysis dump
    val = DataLoader(val_ds, batch_size=1, shuffle=False)
    return train, val


def compute_accuracy(model, loader):
    # caller is responsible for putting the model into eval mode
    hits = 0
    for x, y in loader:
        hits += int(model(x).argmax(1).item() == y.item())
    return hits / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()

    model = ConvNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_loader, val_loader = make_loaders(args.batch_size)

    for epoch in range(args.epochs):
        model.train()
        for step, (x, y) in enumerate(train_loader):
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 5 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")

        model.eval()
        with torch.no_grad():
            acc = compute_accuracy(model, val_loader)
        print(f"epoch {epoch} val acc {acc:.3f}")

    torch.save({"model": model.state_dict(), "epochs": args.epochs}, "convnet.pt")


if __name__ == "__main__":
    main()
