"""1-D CNN for ECG beat classification (MIT-BIH style, pre-segmented beats in .npz)."""
import argparse
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


@dataclass
class EpochStats:
    loss: float
    accuracy: float


class ResBlock1d(nn.Module):
    def __init__(self, channels: int, kernel_size: int = 7, dilation: int = 1):
        super().__init__()
        pad = dilation * (kernel_size - 1) // 2
        self.conv1 = nn.Conv1d(channels, channels, kernel_size, padding=pad, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, kernel_size, padding=pad, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm1d(channels)
        self.act = nn.GELU()

    def forward(self, x):
        y = self.act(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.act(x + y)


class ECGNet(nn.Module):
    def __init__(self, n_leads: int = 1, width: int = 64, n_classes: int = 5):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(n_leads, width, 15, padding=7, bias=False),
            nn.BatchNorm1d(width),
            nn.GELU(),
        )
        self.blocks = nn.Sequential(*[ResBlock1d(width, dilation=d) for d in (1, 2, 4, 8)])
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(x.mean(dim=-1))


def run_epoch(model, loader, criterion, device, optimizer=None) -> EpochStats:
    is_training = optimizer is not None
    model.train(mode=is_training)
    total_loss, correct, seen = 0.0, 0, 0
    with torch.set_grad_enabled(is_training):
        for beats, labels in loader:
            beats, labels = beats.to(device), labels.to(device)
            logits = model(beats)
            loss = criterion(logits, labels)
            if is_training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total_loss += loss.item() * labels.size(0)
            correct += (logits.argmax(dim=1) == labels).sum().item()
            seen += labels.size(0)
    return EpochStats(total_loss / seen, correct / seen)


def make_loader(path, batch_size, shuffle):
    arrays = np.load(path)
    beats = torch.from_numpy(arrays["x"].astype(np.float32)).unsqueeze(1)
    labels = torch.from_numpy(arrays["y"].astype(np.int64))
    return DataLoader(TensorDataset(beats, labels), batch_size=batch_size,
                      shuffle=shuffle, drop_last=shuffle)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", default="mitbih_train.npz")
    parser.add_argument("--test", default="mitbih_test.npz")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = make_loader(args.train, args.batch_size, shuffle=True)
    test_loader = make_loader(args.test, 1024, shuffle=False)

    model = ECGNet().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)

    for epoch in range(args.epochs):
        train_stats = run_epoch(model, train_loader, criterion, device, optimizer)
        test_stats = run_epoch(model, test_loader, criterion, device)
        print(f"epoch {epoch:02d} train {train_stats.loss:.4f}/{train_stats.accuracy:.4f} "
              f"test {test_stats.loss:.4f}/{test_stats.accuracy:.4f}")

    torch.save(model.state_dict(), "ecgnet.pt")


if __name__ == "__main__":
    main()
