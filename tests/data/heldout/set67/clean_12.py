"""Predictive uncertainty for molecular property regression with Monte-Carlo dropout.

Inputs are 2048-bit Morgan fingerprints stored in an .npz file.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

FP_BITS = 2048
HIDDEN = [1024, 512, 256]


class FingerprintRegressor(nn.Module):
    def __init__(self, in_dim=FP_BITS, hidden=HIDDEN, p_drop=0.2):
        super().__init__()
        layers = []
        prev = in_dim
        for width in hidden:
            layers += [nn.Linear(prev, width, bias=False), nn.BatchNorm1d(width), nn.SiLU(), nn.Dropout(p_drop)]
            prev = width
        self.body = nn.Sequential(*layers)
        self.mean = nn.Linear(prev, 1)

    def forward(self, x):
        return self.mean(self.body(x)).squeeze(-1)


def enable_mc_dropout(model: nn.Module) -> None:
    """Inference mode for everything except dropout, which keeps sampling masks."""
    model.eval()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.train()


@torch.no_grad()
def mc_predict(model, loader, device, n_samples=50):
    enable_mc_dropout(model)
    means, stds = [], []
    for (x,) in loader:
        x = x.to(device)
        draws = torch.stack([model(x) for _ in range(n_samples)])
        means.append(draws.mean(0).cpu())
        stds.append(draws.std(0).cpu())
    return torch.cat(means).numpy(), torch.cat(stds).numpy()


def train(model, loader, device, epochs):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=3)
    loss_fn = nn.SmoothL1Loss()
    for epoch in range(epochs):
        model.train()
        epoch_loss = 0.0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item() * len(y)
        epoch_loss /= len(loader.dataset)
        scheduler.step(epoch_loss)
        print(f"epoch {epoch:02d} loss {epoch_loss:.4f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="solubility_fps.npz")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data = np.load(args.data)
    x_train = torch.from_numpy(data["x_train"]).float()
    y_train = torch.from_numpy(data["y_train"]).float()
    x_test = torch.from_numpy(data["x_test"]).float()
    y_test = data["y_test"]

    model = FingerprintRegressor().to(device)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                              shuffle=True, drop_last=True)
    train(model, train_loader, device, args.epochs)

    test_loader = DataLoader(TensorDataset(x_test), batch_size=1024)
    mean, std = mc_predict(model, test_loader, device, args.samples)
    rmse = float(np.sqrt(np.mean((mean - y_test) ** 2)))
    inside = np.mean(np.abs(mean - y_test) <= 1.96 * std)
    print(f"test RMSE {rmse:.3f}; 95% interval coverage {inside:.2%}")
    np.savez("mc_predictions.npz", mean=mean, std=std)


if __name__ == "__main__":
    main()
