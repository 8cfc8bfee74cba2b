# %% [markdown]
# # Sleep-state detection - CNN frontend + Transformer (stage 2)
# Stage 1 (previous notebook) trained the CNN frontend; here we freeze it and
# train the transformer on long windows. Long windows => tiny batches on the P100.

# %%
import gc
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

# %%
WINDOW = 17280          # 24h of 5s steps
N_CHANNELS = 2          # anglez, enmo
D_MODEL = 64
N_HEADS = 4
N_LAYERS = 2
BATCH_SIZE = 2
EPOCHS = 10
LR = 5e-4
FRONTEND_CKPT = "/kaggle/input/sleep-stage1/frontend.pth"
device = "cuda"

# %%
series = np.load("/kaggle/input/sleep-prep/series.npy", mmap_mode="r")     # (n_nights, WINDOW, 2)
targets = np.load("/kaggle/input/sleep-prep/targets.npy", mmap_mode="r")   # (n_nights, WINDOW)


class NightDataset(Dataset):
    def __init__(self, idx):
        self.idx = idx

    def __len__(self):
        return len(self.idx)

    def __getitem__(self, i):
        j = self.idx[i]
        x = torch.from_numpy(np.array(series[j], dtype=np.float32)).T   # (2, WINDOW)
        y = torch.from_numpy(np.array(targets[j], dtype=np.float32))
        return x, y


perm = np.random.RandomState(0).permutation(len(series))
n_val = len(perm) // 10
train_loader = DataLoader(NightDataset(perm[n_val:]), batch_size=BATCH_SIZE, shuffle=True, num_workers=2)  # expect: BN301
val_loader = DataLoader(NightDataset(perm[:n_val]), batch_size=BATCH_SIZE)

# %%
class Frontend(nn.Module):
    """Downsamples 12x: (N, 2, L) -> (N, D_MODEL, L/12)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(N_CHANNELS, 32, 7, padding=3, bias=False), nn.BatchNorm1d(32), nn.GELU(), nn.MaxPool1d(3),
            nn.Conv1d(32, D_MODEL, 5, padding=2, bias=False), nn.BatchNorm1d(D_MODEL), nn.GELU(), nn.MaxPool1d(4),
        )

    def forward(self, x):
        return self.net(x)


class SleepModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.frontend = Frontend()
        layer = nn.TransformerEncoderLayer(D_MODEL, N_HEADS, dim_feedforward=4 * D_MODEL,
                                           dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, N_LAYERS)
        self.post_bn = nn.BatchNorm1d(D_MODEL)
        self.head = nn.Linear(D_MODEL, 1)

    def forward(self, x):
        L = x.shape[-1]
        h = self.frontend(x).transpose(1, 2)     # (N, L', D)
        h = self.encoder(h)                      # (N, L', D)
        h = self.post_bn(h)  # expect: BN203
        logits = self.head(h).transpose(1, 2)    # (N, 1, L')
        return F.interpolate(logits, size=L, mode="linear").squeeze(1)


model = SleepModel().to(device)
model.frontend.load_state_dict(torch.load(FRONTEND_CKPT, map_location=device))
model.frontend.requires_grad_(False)  # expect: BN105

optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=LR, weight_decay=1e-2)
total_steps = EPOCHS * len(train_loader)
scheduler = torch.optim.lr_scheduler.LambdaLR(
    optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps)))

# %%
history = {"train": [], "val": []}
for epoch in range(EPOCHS):
    model.train()
    tl = []
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        tl.append(loss.item())

    model.eval()
    vl = []
    with torch.no_grad():
        for x, y in val_loader:
            x, y = x.to(device), y.to(device)
            vl.append(F.binary_cross_entropy_with_logits(model(x), y).item())
    history["train"].append(np.mean(tl))
    history["val"].append(np.mean(vl))
    print(f"epoch {epoch}: train {history['train'][-1]:.4f}  val {history['val'][-1]:.4f}")
    gc.collect()
    torch.cuda.empty_cache()

# %%
plt.plot(history["train"], label="train")
plt.plot(history["val"], label="val")
plt.legend()
plt.show()
torch.save(model.state_dict(), "sleep_stage2.pth")
