"""Bearing-fault classification on simulated tri-axial vibration windows.

The simulator produces sensor windows in (batch, time, channels) layout, like the
accelerometer logger does; the model permutes them to (batch, channels, time)
before the Conv1d/BatchNorm1d stack.
"""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FS = 2000            # Hz
WIN = 512            # samples per window
N_AXES = 3
FAULTS = {"healthy": 0.0, "inner_race": 162.0, "outer_race": 107.0, "ball": 141.0}
N_TRAIN = 1025
N_VAL = 257
BATCH = 64
EPOCHS = 25


def simulate(n, rng):
    t = np.arange(WIN) / FS
    x = np.empty((n, WIN, N_AXES), dtype=np.float32)
    y = rng.integers(0, len(FAULTS), size=n)
    freqs = list(FAULTS.values())
    for i in range(n):
        shaft = np.sin(2 * np.pi * 29.5 * t + rng.uniform(0, 2 * np.pi))
        sig = np.stack([shaft * g for g in rng.uniform(0.5, 1.5, N_AXES)], axis=1)
        if freqs[y[i]] > 0:
            impulses = (np.sin(2 * np.pi * freqs[y[i]] * t) > 0.98).astype(np.float32)
            sig += impulses[:, None] * rng.uniform(1.0, 3.0, N_AXES)
        x[i] = sig + 0.3 * rng.standard_normal((WIN, N_AXES))
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))


class VibrationNet(nn.Module):
    def __init__(self, n_axes=N_AXES, n_classes=len(FAULTS)):
        super().__init__()
        chans = [n_axes, 16, 32, 64]
        layers = []
        for c_in, c_out in zip(chans[:-1], chans[1:]):
            layers.append(nn.Conv1d(c_in, c_out, kernel_size=9, padding=4, bias=False))
            layers.append(nn.BatchNorm1d(c_out))
            layers.append(nn.ReLU())
            layers.append(nn.MaxPool1d(4))
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(chans[-1], n_classes)

    def forward(self, x):                  # x: (B, T, C)
        x = x.permute(0, 2, 1)             # (B, C, T)
        x = self.features(x)               # (B, 64, T / 64)
        return self.head(x.mean(dim=-1))


def accuracy(model, loader):
    model.eval()
    hit = tot = 0
    with torch.no_grad():
        for xb, yb in loader:
            hit += (model(xb).argmax(1) == yb).sum().item()
            tot += len(yb)
    return hit / tot


if __name__ == "__main__":
    rng = np.random.default_rng(7)
    torch.manual_seed(7)
    x_tr, y_tr = simulate(N_TRAIN, rng)
    x_va, y_va = simulate(N_VAL, rng)

    # 1025 = 16 * 64 + 1: drop the trailing single-sample batch
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=BATCH, shuffle=True, drop_last=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=BATCH)

    model = VibrationNet()
    optim = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(EPOCHS):
        model.train()
        for xb, yb in train_loader:
            optim.zero_grad()
            criterion(model(xb), yb).backward()
            optim.step()
        if epoch % 5 == 4:
            print(f"epoch {epoch + 1}: val acc = {accuracy(model, val_loader):.3f}")

    print(f"final val acc = {accuracy(model, val_loader):.3f}")
    torch.save(model.state_dict(), "vibration_net.pt")
