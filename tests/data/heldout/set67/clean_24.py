"""Neural surrogate for a damped-oscillator simulator: predicts the response curve
from the physical parameters. Training data is generated on the fly."""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_TRAIN = 20_001
NUM_VAL = 2_001
BATCH_SIZE = 100
N_PARAMS = 4
N_STEPS = 128


def simulate(params: torch.Tensor) -> torch.Tensor:
    mass, damping, stiffness, x0 = params.unbind(-1)
    t = torch.linspace(0, 10, N_STEPS)
    omega = torch.sqrt(stiffness / mass)
    zeta = damping / (2 * torch.sqrt(stiffness * mass))
    omega_d = omega * torch.sqrt((1 - zeta ** 2).clamp(min=1e-4))
    return x0[:, None] * torch.exp(-zeta[:, None] * omega[:, None] * t) * torch.cos(omega_d[:, None] * t)


class OscillatorDataset(Dataset):
    def __init__(self, n: int, seed: int):
        g = torch.Generator().manual_seed(seed)
        low = torch.tensor([0.5, 0.05, 1.0, -1.0])
        high = torch.tensor([2.0, 0.8, 10.0, 1.0])
        self.params = low + (high - low) * torch.rand(n, N_PARAMS, generator=g)
        self.curves = simulate(self.params)

    def __len__(self):
        return self.params.shape[0]

    def __getitem__(self, i):
        return self.params[i], self.curves[i]


class Surrogate(nn.Module):
    def __init__(self, hidden=512, depth=4):
        super().__init__()
        layers = [nn.Linear(N_PARAMS, hidden, bias=False), nn.BatchNorm1d(hidden), nn.GELU()]
        for _ in range(depth - 1):
            layers += [nn.Linear(hidden, hidden, bias=False), nn.BatchNorm1d(hidden), nn.GELU()]
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(hidden, N_STEPS)

    def forward(self, params):
        return self.out(self.mlp(params))


def run_epoch(model, loader, device, optimizer=None):
    training = optimizer is not None
    set_mode = model.train if training else model.eval
    set_mode()
    total, count = 0.0, 0
    with torch.set_grad_enabled(training):
        for params, curves in loader:
            params, curves = params.to(device), curves.to(device)
            loss = F.mse_loss(model(params), curves)
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total += loss.item() * len(params)
            count += len(params)
    return math.sqrt(total / count)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, default=2e-3)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set = OscillatorDataset(NUM_TRAIN, seed=0)
    val_set = OscillatorDataset(NUM_VAL, seed=1)
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=250)

    model = Surrogate().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    best = float("inf")
    for epoch in range(args.epochs):
        train_rmse = run_epoch(model, train_loader, device, optimizer)
        val_rmse = run_epoch(model, val_loader, device)
        scheduler.step()
        if val_rmse < best:
            best = val_rmse
            torch.save(model.state_dict(), "surrogate.pt")
        print(f"epoch {epoch:03d}: train rmse {train_rmse:.5f}  val rmse {val_rmse:.5f}")


if __name__ == "__main__":
    main()
