"""MC dropout for a tabular regression model (BatchNorm + Dropout)

I use Monte Carlo dropout (Gal & Ghahramani) for a regression model on tabular
data. As suggested in the answer, the model is put in eval mode (BatchNorm uses
its running statistics) and only the Dropout modules are switched back to
train mode before averaging 50 stochastic forward passes.
"""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class MCDropoutRegressor(nn.Module):
    def __init__(self, in_features, hidden=256, p=0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(p),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(p),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def enable_dropout(model):
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.train()


def mc_dropout_predict(model, x, n_samples=50):
    model.eval()
    enable_dropout(model)
    samples = []
    with torch.no_grad():
        for _ in range(n_samples):
            samples.append(model(x))
    samples = torch.stack(samples)
    return samples.mean(0), samples.std(0)


def load_split(path, target="price"):
    df = pd.read_csv(path)
    y = torch.tensor(df.pop(target).values, dtype=torch.float32)
    x = torch.tensor(df.values, dtype=torch.float32)
    return x, y


def main():
    torch.manual_seed(0)
    x_train, y_train = load_split("data/train.csv")
    x_test, y_test = load_split("data/test.csv")
    mu, sigma = x_train.mean(0), x_train.std(0) + 1e-6
    x_train, x_test = (x_train - mu) / sigma, (x_test - mu) / sigma

    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=128, shuffle=True, drop_last=True)
    model = MCDropoutRegressor(x_train.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)

    for epoch in range(200):
        model.train()
        for xb, yb in loader:
            loss = nn.functional.mse_loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch % 20 == 0:
            print(f"epoch {epoch}: train mse {loss.item():.4f}")

    mean, std = mc_dropout_predict(model, x_test)
    rmse = torch.sqrt(((mean - y_test) ** 2).mean()).item()
    inside = ((y_test - mean).abs() < 2 * std).float().mean().item()
    print(f"MC dropout RMSE {rmse:.4f}, 2-sigma coverage {inside:.3f}, mean std {std.mean().item():.4f}")
    np.save("mc_std.npy", std.numpy())


if __name__ == "__main__":
    main()
