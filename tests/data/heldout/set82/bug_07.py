"""Unsupervised anomaly detection on vibration windows with a 1D conv autoencoder.

Training data is synthesised (healthy bearing = a few harmonics + noise);
anomalies are injected into the validation set as impulsive faults.
Windows whose reconstruction error exceeds the 99th percentile of the
healthy validation errors are flagged.
"""
import math

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

SEED = 1234
WINDOW = 256
N_TRAIN = 2049
N_VAL = 512
BATCH_SIZE = 64
EPOCHS = 60
LATENT = 32

torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)


def healthy_window(rng, length=WINDOW):
    t = np.arange(length) / 2048.0
    f0 = rng.uniform(28, 32)
    sig = sum(rng.uniform(0.2, 1.0) / k * np.sin(2 * math.pi * k * f0 * t + rng.uniform(0, 6.28))
              for k in range(1, 5))
    return sig + rng.normal(0, 0.05, length)


def faulty_window(rng, length=WINDOW):
    sig = healthy_window(rng, length)
    period = rng.integers(20, 40)
    for start in range(rng.integers(0, period), length, period):
        sig[start:start + 3] += rng.uniform(1.5, 3.0) * np.exp(-np.arange(min(3, length - start)))
    return sig


class ConvAE(nn.Module):
    def __init__(self, latent=LATENT):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv1d(1, 16, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm1d(16),
            nn.ReLU(),
            nn.Conv1d(16, 32, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm1d(32),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * (WINDOW // 4), 128),  # expect: BN204
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, latent),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent, 32 * (WINDOW // 4)),
            nn.ReLU(),
            nn.Unflatten(1, (32, WINDOW // 4)),
            nn.ConvTranspose1d(32, 16, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm1d(16),
            nn.ReLU(),
            nn.ConvTranspose1d(16, 1, 4, stride=2, padding=1),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


def standardise(w):
    return torch.from_numpy((w - w.mean()) / (w.std() + 1e-8)).float()


signals = torch.zeros(N_TRAIN, 1, WINDOW)
for i in range(N_TRAIN):
    signals[i, 0] = standardise(healthy_window(rng))

val_x = torch.zeros(N_VAL, 1, WINDOW)
val_y = torch.zeros(N_VAL, dtype=torch.long)
for i in range(N_VAL):
    fault = i % 8 == 0
    w = faulty_window(rng) if fault else healthy_window(rng)
    val_x[i, 0] = standardise(w)
    val_y[i] = int(fault)

train_set = TensorDataset(signals)
train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
val_loader = DataLoader(TensorDataset(val_x, val_y), batch_size=BATCH_SIZE)

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = ConvAE().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
mse = nn.MSELoss()

for epoch in range(EPOCHS):
    model.train()
    total = 0.0
    for (x,) in train_loader:
        x = x.to(device)
        loss = mse(model(x), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * x.size(0)
    if epoch % 10 == 0 or epoch == EPOCHS - 1:
        print(f"epoch {epoch:3d}  recon mse {total / N_TRAIN:.5f}")

model.eval()
errors, labels = [], []
with torch.no_grad():
    for x, y in val_loader:
        x = x.to(device)
        err = ((model(x) - x) ** 2).mean(dim=(1, 2))
        errors.append(err.cpu())
        labels.append(y)
errors = torch.cat(errors).numpy()
labels = torch.cat(labels).numpy()

threshold = np.percentile(errors[labels == 0], 99)
pred = errors > threshold
tp = int((pred & (labels == 1)).sum())
fp = int((pred & (labels == 0)).sum())
fn = int((~pred & (labels == 1)).sum())
print(f"threshold={threshold:.4f} precision={tp / max(tp + fp, 1):.3f} recall={tp / max(tp + fn, 1):.3f}")
torch.save({"model": model.state_dict(), "window": WINDOW, "threshold": threshold},
           "vibration_ae.pt")
