"""1D-CNN for human activity recognition on windowed IMU recordings.

Each sample is a window of WINDOW time steps with N_CHANNELS sensor axes,
stored time-major as (window, channels) by the preprocessing script.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_CHANNELS = 9  # accelerometer, gyroscope, magnetometer (x, y, z each)
WINDOW = 128
N_CLASSES = 6
BATCH_SIZE = 64


class HARNet(nn.Module):
    def __init__(self, in_ch=N_CHANNELS, n_classes=N_CLASSES):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.Conv1d(in_ch, 32, kernel_size=7, padding=3, bias=False),
            nn.BatchNorm2d(32),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.MaxPool1d(2),
        )
        self.block2 = nn.Sequential(
            nn.Conv1d(32, 64, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(2),
        )
        self.block3 = nn.Sequential(
            nn.Conv1d(64, 128, kernel_size=3, padding=1, bias=False),
            nn.ReLU(inplace=True),
            nn.Dropout(0.1),
            nn.BatchNorm1d(96),  # expect: BN201
        )
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.head = nn.Linear(128, n_classes)

    def forward(self, x):
        x = x.permute(0, 2, 1)
        x = self.block1(x)
        x = self.block2(x)
        x = self.block3(x)
        x = self.pool(x).squeeze(-1)
        return self.head(x)


def make_windows(n_windows, rng):
    t = np.linspace(0, 8 * np.pi, WINDOW, dtype=np.float32)
    labels = rng.integers(0, N_CLASSES, size=n_windows)
    data = np.empty((n_windows, WINDOW, N_CHANNELS), dtype=np.float32)
    for i, label in enumerate(labels):
        freq = 0.5 + label * 0.4
        base = np.sin(freq * t)[:, None]
        data[i] = base + 0.3 * rng.standard_normal((WINDOW, N_CHANNELS)).astype(np.float32)
    return torch.from_numpy(data), torch.from_numpy(labels).long()


def run_epoch(model, loader, optimizer, device):
    model.train()
    total = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * x.size(0)
    return total / len(loader.dataset)


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    hits = 0
    for x, y in loader:
        pred = model(x.to(device)).argmax(dim=1)
        hits += (pred.cpu() == y).sum().item()
    return hits / len(loader.dataset)


def main():
    rng = np.random.default_rng(0)
    x_train, y_train = make_windows(4096, rng)
    x_val, y_val = make_windows(1024, rng)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH_SIZE,
                              shuffle=True, drop_last=True)
    val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=256)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = HARNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)

    for epoch in range(30):
        loss = run_epoch(model, train_loader, optimizer, device)
        acc = validate(model, val_loader, device)
        scheduler.step()
        print(f"epoch {epoch:02d} loss {loss:.4f} val_acc {acc:.3f}")


if __name__ == "__main__":
    main()
