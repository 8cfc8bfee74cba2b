# Temporal Convolutional Network for multivariate forecasting (synthetic demo).
# Adapted from the locuslab TCN repo; weight_norm replaced by BatchNorm.
import math
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

N_FEATURES = 8
WINDOW = 96
HORIZON = 24
LEVELS = [64, 64, 64, 64]
KERNEL_SIZE = 3
DROPOUT = 0.1

N_TRAIN = 4097
N_VALID = 512
BATCH_SIZE = 64
EPOCHS = 30
LR = 2e-3


class Chomp1d(nn.Module):
    """Removes the trailing padding so the convolution stays causal."""

    def __init__(self, chomp_size):
        super().__init__()
        self.chomp_size = chomp_size

    def forward(self, x):
        return x[:, :, :-self.chomp_size].contiguous()


class TemporalBlock(nn.Module):
    def __init__(self, n_inputs, n_outputs, kernel_size, dilation, dropout=0.2):
        super().__init__()
        padding = (kernel_size - 1) * dilation
        self.net = nn.Sequential(
            nn.Conv1d(n_inputs, n_outputs, kernel_size, padding=padding, dilation=dilation, bias=False),
            Chomp1d(padding),
            nn.BatchNorm1d(n_outputs),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Conv1d(n_outputs, n_outputs, kernel_size, padding=padding, dilation=dilation, bias=False),
            Chomp1d(padding),
            nn.BatchNorm1d(n_outputs),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.net(x)
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)


class TCNForecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(N_FEATURES, 64, kernel_size=1, bias=False),
            nn.BatchNorm1d(N_FEATURES),  # expect: BN201
            nn.ReLU(),
        )
        layers = []
        in_ch = 64
        for i, out_ch in enumerate(LEVELS):
            layers.append(TemporalBlock(in_ch, out_ch, KERNEL_SIZE, dilation=2 ** i, dropout=DROPOUT))
            in_ch = out_ch
        self.tcn = nn.Sequential(*layers)
        # ported from the Keras reference implementation
        self.head_bn = nn.BatchNorm1d(LEVELS[-1], momentum=0.99)  # expect: BN205
        self.head = nn.Linear(LEVELS[-1], HORIZON * N_FEATURES)

    def forward(self, x):
        # x: (batch, N_FEATURES, WINDOW)
        h = self.tcn(self.stem(x))
        h = self.head_bn(h[:, :, -1])  # last time step, (batch, channels)
        return self.head(h).view(-1, N_FEATURES, HORIZON)


def make_synthetic(n):
    t = torch.arange(WINDOW + HORIZON, dtype=torch.float32)
    phase = torch.rand(n, N_FEATURES, 1) * 2 * math.pi
    freq = 0.05 + 0.1 * torch.rand(n, N_FEATURES, 1)
    series = torch.sin(freq * t + phase) + 0.05 * torch.randn(n, N_FEATURES, WINDOW + HORIZON)
    return series[:, :, :WINDOW], series[:, :, WINDOW:]


def validate(model, loader, criterion):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x)
            total += criterion(pred, y).item() * x.size(0)
            count += x.size(0)
    return total / count


def main():
    torch.manual_seed(0)
    x_train, y_train = make_synthetic(N_TRAIN)
    x_valid, y_valid = make_synthetic(N_VALID)
    train_ds = TensorDataset(x_train, y_train)
    valid_ds = TensorDataset(x_valid, y_valid)

    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
    valid_loader = DataLoader(valid_ds, batch_size=BATCH_SIZE)

    model = TCNForecaster()
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
    criterion = nn.MSELoss()

    for epoch in range(EPOCHS):
        model.train()
        start = time.time()
        running = 0.0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item()
        scheduler.step()
        val_mse = validate(model, valid_loader, criterion)
        print(f"epoch {epoch:3d} | train {running / len(train_loader):.5f} | valid {val_mse:.5f} | {time.time() - start:.1f}s")

    torch.save(model.state_dict(), "tcn_forecaster.pt")


if __name__ == "__main__":
    main()
