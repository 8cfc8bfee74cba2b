"""Vibration anomaly detection: conv autoencoder trained on synthetic healthy windows,
streamed scoring of a recorded accelerometer file one window at a time."""
import math
import sys

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

SEED = 7
WINDOW = 256
N_TRAIN = 2049
BATCH_SIZE = 64
EPOCHS = 40
LATENT = 24
STREAM_FILE = sys.argv[1] if len(sys.argv) > 1 else "accel_run42.npy"

torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)


def healthy(length=WINDOW):
    t = np.arange(length) / 2048.0
    f0 = rng.uniform(28, 32)
    x = sum(rng.uniform(0.2, 1.0) / k * np.sin(2 * math.pi * k * f0 * t + rng.uniform(0, 2 * math.pi))
            for k in range(1, 5))
    return x + rng.normal(0, 0.05, length)


class AE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv1d(1, 16, 7, stride=2, padding=3),
            nn.ReLU(),
            nn.BatchNorm1d(16),
            nn.Conv1d(16, 32, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm1d(32),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * (WINDOW // 4), 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, LATENT),
        )
        self.dec = nn.Sequential(
            nn.Linear(LATENT, 32 * (WINDOW // 4)),
            nn.ReLU(),
            nn.Unflatten(1, (32, WINDOW // 4)),
            nn.ConvTranspose1d(32, 16, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm1d(16),
            nn.ReLU(),
            nn.ConvTranspose1d(16, 1, 4, stride=2, padding=1),
        )

    def forward(self, x):
        return self.dec(self.enc(x))


# ---- data -----------------------------------------------------------------
train_x = torch.zeros(N_TRAIN, 1, WINDOW)
for i in range(N_TRAIN):
    train_x[i, 0] = torch.tensor(healthy(), dtype=torch.float32)
mean, std = train_x.mean(), train_x.std()
train_x = (train_x - mean) / std
train_loader = DataLoader(TensorDataset(train_x), batch_size=BATCH_SIZE, shuffle=True, drop_last=True)

calib_x = torch.stack([torch.tensor(healthy(), dtype=torch.float32) for _ in range(300)]).unsqueeze(1)
calib_x = (calib_x - mean) / std

# ---- training ---------------------------------------------------------------
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = AE().to(device)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.SmoothL1Loss()

for epoch in range(EPOCHS):
    model.train()
    running = 0.0
    for (x,) in train_loader:
        x = x.to(device)
        loss = loss_fn(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running += loss.item()
    print(f"epoch {epoch:2d} loss {running / len(train_loader):.5f}")

# ---- calibration + streaming ---------------------------------------------------
model.eval()
with torch.no_grad():
    calib_err = ((model(calib_x.to(device)) - calib_x.to(device)) ** 2).mean(dim=(1, 2)).cpu().numpy()
threshold = float(np.quantile(calib_err, 0.995))
print(f"threshold = {threshold:.5f}")

stream = np.load(STREAM_FILE).astype(np.float32)
windows = torch.from_numpy(stream[: len(stream) // WINDOW * WINDOW].reshape(-1, 1, WINDOW))
windows = (windows - mean) / std
stream_loader = DataLoader(TensorDataset(windows), batch_size=1, shuffle=False)

alarms = []
with torch.no_grad():
    for idx, (w,) in enumerate(stream_loader):
        w = w.to(device)
        err = ((model(w) - w) ** 2).mean().item()
        if err > threshold:
            alarms.append((idx * WINDOW, err))

print(f"{len(alarms)} anomalous windows out of {len(windows)}")
for offset, err in alarms[:20]:
    print(f"  sample {offset:8d}  err {err:.4f}")
torch.save({"model": model.state_dict(), "mean": mean, "std": std, "threshold": threshold}, "vib_ae_stream.pt")
