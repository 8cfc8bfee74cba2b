"""Human activity recognition from wrist IMU windows and TorchScript export.

Windows are stored as (n_windows, time, channels) arrays: 128 samples x 9 channels
(body acc xyz, gyro xyz, total acc xyz), UCI-HAR layout.
"""
import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

WINDOW = 128
N_CHANNELS = 9
ACTIVITIES = ["walking", "upstairs", "downstairs", "sitting", "standing", "laying"]


def load_split(root: Path, split: str):
    x = np.load(root / f"X_{split}.npy").astype(np.float32)   # (n, 128, 9)
    y = np.load(root / f"y_{split}.npy").astype(np.int64) - 1
    return TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


class HARNet(nn.Module):
    def __init__(self, n_channels=N_CHANNELS, n_classes=len(ACTIVITIES)):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(n_channels, 64, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Conv1d(64, 64, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(64, 128, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(128, n_classes))

    def forward(self, x):
        # x: (batch, time, channels) -> (batch, channels, time)
        x = x.transpose(1, 2)
        return self.classifier(self.features(x))


def evaluate(model, loader, device):
    model.eval()
    confusion = torch.zeros(len(ACTIVITIES), len(ACTIVITIES), dtype=torch.long)
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(dim=1).cpu()
            for t, p in zip(y, pred):
                confusion[t, p] += 1
    acc = confusion.diag().sum().item() / confusion.sum().item()
    return acc, confusion


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=Path("data/uci_har"))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--export", type=Path, default=Path("export/harnet.ts"))
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_ds = load_split(args.root, "train")
    test_ds = load_split(args.root, "test")
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=2)
    test_loader = DataLoader(test_ds, batch_size=256)

    model = HARNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        model.train  # expect: BN102
        epoch_loss = 0.0
        for step, (x, y) in enumerate(train_loader):
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
            if step % 50 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        print(f"epoch {epoch} mean loss {epoch_loss / len(train_loader):.4f}")

    # ship the model for the on-device app
    args.export.parent.mkdir(parents=True, exist_ok=True)
    example = torch.randn(1, WINDOW, N_CHANNELS, device=device)
    scripted = torch.jit.trace(model, example)  # expect: BN104
    scripted.save(str(args.export))
    torch.save(model.state_dict(), args.export.with_suffix(".pt"))

    acc, confusion = evaluate(model, test_loader, device)
    print(f"test accuracy: {acc:.4f}")
    print(confusion)


if __name__ == "__main__":
    main()
