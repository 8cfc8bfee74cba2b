"""Jane Street: PyTorch re-implementation of the Keras autoencoder + MLP (public 1st place-ish).

Keras BatchNormalization(momentum=0.99, epsilon=1e-3) is ported as
BatchNorm1d(momentum=1 - 0.99, eps=1e-3): PyTorch weighs the *new* batch.
The smoke test below runs the whole pipeline on random data of the real width.
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn import BatchNorm1d as BN1d
from torch.utils.data import DataLoader, TensorDataset

KERAS_BN_MOMENTUM = 0.99
TORCH_BN_MOMENTUM = 1 - KERAS_BN_MOMENTUM
KERAS_BN_EPS = 1e-3

N_FEAT = 130
N_RESP = 5
N_TRAIN = 65_537          # 2**16 + 1 rows
N_VALID = 16_385
BATCH = 4096
HIDDEN = [96, 96, 896, 448, 448, 256]
DROPS = [0.03527936123679956, 0.038424974585075086, 0.42409238408801436, 0.10431484318345882,
         0.49230389137187497, 0.32024444956111164, 0.2716856145683449, 0.4379233941604448]


class GaussNoise(nn.Module):
    def __init__(self, stddev):
        super().__init__()
        self.stddev = stddev

    def forward(self, x):
        return x + self.stddev * torch.randn_like(x) if self.training else x


class AEMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn_in = BN1d(N_FEAT, eps=KERAS_BN_EPS, momentum=TORCH_BN_MOMENTUM)
        self.encoder = nn.Sequential(
            GaussNoise(DROPS[0]),
            nn.Linear(N_FEAT, HIDDEN[0], bias=False),
            BN1d(HIDDEN[0], eps=KERAS_BN_EPS, momentum=TORCH_BN_MOMENTUM),
            nn.SiLU(),
        )
        self.decoder = nn.Sequential(nn.Dropout(DROPS[1]), nn.Linear(HIDDEN[0], N_FEAT))
        self.ae_head = nn.Sequential(
            nn.Linear(N_FEAT, HIDDEN[1], bias=False),
            BN1d(HIDDEN[1], KERAS_BN_EPS, TORCH_BN_MOMENTUM),
            nn.SiLU(),
            nn.Dropout(DROPS[2]),
            nn.Linear(HIDDEN[1], N_RESP),
        )
        layers = [BN1d(N_FEAT + HIDDEN[0], eps=KERAS_BN_EPS, momentum=TORCH_BN_MOMENTUM), nn.Dropout(DROPS[3])]
        in_dim = N_FEAT + HIDDEN[0]
        for i, h in enumerate(HIDDEN[2:]):
            layers.append(nn.Linear(in_dim, h, bias=False))
            layers.append(BN1d(h, eps=KERAS_BN_EPS, momentum=TORCH_BN_MOMENTUM))
            layers.append(nn.SiLU())
            layers.append(nn.Dropout(DROPS[i + 4]))
            in_dim = h
        layers.append(nn.Linear(in_dim, N_RESP))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x):
        x0 = self.bn_in(x)
        enc = self.encoder(x0)
        dec = self.decoder(enc)
        ae_out = self.ae_head(dec)
        out = self.mlp(torch.cat([x0, enc], dim=1))
        return dec, ae_out, out


def loss_fn(x, y, dec, ae_out, out):
    return F.mse_loss(dec, x) + F.binary_cross_entropy_with_logits(ae_out, y) + F.binary_cross_entropy_with_logits(out, y)


def fit(model, loader, optimizer, device):
    model.train()
    total = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        dec, ae_out, out = model(x)
        loss = loss_fn(x, y, dec, ae_out, out)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def evaluate(model, loader, device):
    model.eval()
    correct, n = 0, 0
    with torch.no_grad():
        for x, y in loader:
            _, _, out = model(x.to(device))
            action = (torch.sigmoid(out).mean(1) > 0.5).cpu()
            correct += (action == (y.mean(1) > 0.5)).sum().item()
            n += len(y)
    return correct / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)

    train_ds = TensorDataset(torch.randn(N_TRAIN, N_FEAT), torch.randint(0, 2, (N_TRAIN, N_RESP)).float())
    valid_ds = TensorDataset(torch.randn(N_VALID, N_FEAT), torch.randint(0, 2, (N_VALID, N_RESP)).float())
    # 65537 % 4096 == 1: the last training batch would hold a single row -> drop it
    train_dl = DataLoader(train_ds, batch_size=BATCH, shuffle=True, drop_last=True)
    # validation runs in eval mode, a batch of one is harmless there
    valid_dl = DataLoader(valid_ds, batch_size=BATCH, shuffle=False)

    model = AEMLP().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        loss = fit(model, train_dl, opt, device)
        acc = evaluate(model, valid_dl, device)
        print(f"epoch {epoch}: loss={loss:.4f} action_acc={acc:.4f}")
    np.save("bn_in_running_mean.npy", model.bn_in.running_mean.cpu().numpy())


if __name__ == "__main__":
    main()
