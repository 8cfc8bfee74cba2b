"""Jane Street Market Prediction -- PyTorch port of the Keras "resnet-ish MLP".

Sanity run on synthetic data shaped like the competition data (130 features,
5 resp targets) so the architecture and the training loop can be checked
quickly before the real 2.4M-row run.

    python js_mlp_sanity.py --epochs 3
"""
import argparse
import logging
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
logger = logging.getLogger("js")

N_FEATURES = 130
N_TARGETS = 5
N_SAMPLES = 262_145
N_VALID = 50_000
BATCH_SIZE = 4096
HIDDEN_UNITS = [160, 160, 160]
DROPOUT_RATES = [0.035, 0.038, 0.42, 0.10]
NOISE_STD = 0.035
BN_MOMENTUM = 0.99  # same value as tf.keras.layers.BatchNormalization default
LABEL_SMOOTHING = 1e-2


class GaussNoise(nn.Module):
    """Equivalent of keras.layers.GaussianNoise: only active in training."""

    def __init__(self, std=0.1):
        super().__init__()
        self.std = std

    def forward(self, x):
        if self.training and self.std > 0:
            return x + torch.randn_like(x) * self.std
        return x


class JSMLP(nn.Module):
    def __init__(self, n_features=N_FEATURES, n_targets=N_TARGETS, hidden=HIDDEN_UNITS, dropouts=DROPOUT_RATES):
        super().__init__()
        layers = [nn.BatchNorm1d(n_features, momentum=BN_MOMENTUM), GaussNoise(NOISE_STD), nn.Dropout(dropouts[0])]  # expect: BN205
        in_dim = n_features
        for i, h in enumerate(hidden):
            layers += [nn.Linear(in_dim, h, bias=False), nn.BatchNorm1d(h, momentum=BN_MOMENTUM), nn.SiLU(), nn.Dropout(dropouts[i + 1])]  # expect: BN205
            in_dim = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(in_dim, n_targets)

    def forward(self, x):
        return self.head(self.body(x))


def utility_score(date, weight, resp, action):
    count_i = len(np.unique(date))
    pi = np.bincount(date, weight * resp * action)
    t = np.sum(pi) / np.sqrt(np.sum(pi ** 2)) * np.sqrt(250 / count_i)
    t = np.clip(t, 0, 6)
    return t * np.sum(pi)


def make_synthetic(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, N_FEATURES, generator=g)
    y = (torch.rand(n, N_TARGETS, generator=g) > 0.5).float()
    return x, y


def train_one_epoch(model, loader, optimizer, criterion, device):
    model.train()
    total, n = 0.0, 0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        yb = yb * (1 - LABEL_SMOOTHING) + 0.5 * LABEL_SMOOTHING
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.size(0)
        n += xb.size(0)
    return total / n


@torch.no_grad()
def valid_fn(model, loader, device):
    model.eval()
    preds, targets = [], []
    for xb, yb in loader:
        preds.append(torch.sigmoid(model(xb.to(device))).cpu())
        targets.append(yb)
    preds = torch.cat(preds).numpy()
    targets = torch.cat(targets).numpy()
    acc = ((preds.mean(1) > 0.5) == (targets.mean(1) > 0.5)).mean()
    return acc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1111)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    x_tr, y_tr = make_synthetic(N_SAMPLES, args.seed)
    x_va, y_va = make_synthetic(N_VALID, args.seed + 1)
    train_ds = TensorDataset(x_tr, y_tr)
    valid_ds = TensorDataset(x_va, y_va)

    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, num_workers=2, pin_memory=True)  # expect: BN302
    valid_loader = DataLoader(valid_ds, batch_size=BATCH_SIZE, shuffle=False)

    model = JSMLP().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.BCEWithLogitsLoss()

    for epoch in range(args.epochs):
        t0 = time.time()
        loss = train_one_epoch(model, train_loader, optimizer, criterion, device)
        acc = valid_fn(model, valid_loader, device)
        logger.info("epoch %d loss %.5f acc %.4f (%.1fs)", epoch, loss, acc, time.time() - t0)

    torch.save(model.state_dict(), "js_mlp_sanity.pt")


if __name__ == "__main__":
    main()
