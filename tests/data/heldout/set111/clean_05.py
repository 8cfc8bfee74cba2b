# CMI - Detect Sleep States: multi-scale 1D-CNN + BiGRU event detector
# (onset / wakeup heatmaps over 2880-step chunks of the anglez/enmo series).
import gc
import os
import random
from functools import partial

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CHUNK = 2880
N_NUM = 2          # anglez, enmo
N_HOUR = 24
HOUR_EMB = 16
CNN_DIM = 64
GRU_DIM = 96
EPOCHS = 20
BATCH_SIZE = 16
N_FOLDS = 5
DATA = "/kaggle/input/child-mind-institute-detect-sleep-states"

Norm1d = partial(nn.BatchNorm1d, eps=1e-3, momentum=0.05)


def seed_everything(seed=3407):
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


class ResBlock1d(nn.Module):
    def __init__(self, ch, k):
        super().__init__()
        self.conv1 = nn.Conv1d(ch, ch, k, padding=k // 2, bias=False)
        self.bn1 = Norm1d(ch)
        self.conv2 = nn.Conv1d(ch, ch, k, padding=k // 2, bias=False)
        self.bn2 = Norm1d(ch)

    def forward(self, x):
        h = F.gelu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.gelu(x + h)


class SleepNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hour_emb = nn.Embedding(N_HOUR, HOUR_EMB)
        self.hour_bn = Norm1d(HOUR_EMB)
        self.stem = nn.Conv1d(N_NUM + HOUR_EMB, CNN_DIM, kernel_size=7, padding=3, bias=False)
        self.stem_bn = Norm1d(CNN_DIM)
        self.branches = nn.ModuleList([ResBlock1d(CNN_DIM, k) for k in (3, 11, 25)])
        self.gru = nn.GRU(3 * CNN_DIM, GRU_DIM, num_layers=2, batch_first=True, bidirectional=True)
        self.gru_bn = Norm1d(2 * GRU_DIM)
        self.ln = nn.LayerNorm(2 * GRU_DIM)
        self.fc = nn.Linear(2 * GRU_DIM, 64, bias=False)
        self.fc_bn = Norm1d(64)
        self.out = nn.Linear(64, 2)

    def forward(self, num, hour):
        # num: (B, L, 2) float, hour: (B, L) long
        B, L, _ = num.shape
        h = self.hour_emb(hour)                       # (B, L, E)
        h = self.hour_bn(h.permute(0, 2, 1))          # (B, E, L)
        x = torch.cat([num.transpose(1, 2), h], 1)    # (B, 2 + E, L)
        x = F.gelu(self.stem_bn(self.stem(x)))
        x = torch.cat([blk(x) for blk in self.branches], dim=1)
        x, _ = self.gru(x.transpose(1, 2))            # (B, L, 2H)
        x = self.gru_bn(x.transpose(1, 2)).transpose(1, 2)
        x = self.ln(x)
        x = self.fc(x).reshape(B * L, -1)             # (B*L, 64)
        x = F.gelu(self.fc_bn(x)).reshape(B, L, -1)
        return self.out(x)                            # (B, L, 2)


class ChunkDataset(Dataset):
    def __init__(self, series, train=True):
        self.items = []
        for sid, g in series.groupby("series_id"):
            num = g[["anglez", "enmo"]].values.astype(np.float32)
            num = (num - num.mean(0)) / (num.std(0) + 1e-6)
            hour = pd.to_datetime(g.timestamp).dt.hour.values.astype(np.int64)
            tgt = g[["onset_hm", "wakeup_hm"]].values.astype(np.float32)
            for s in range(0, len(g) - CHUNK + 1, CHUNK // 2 if train else CHUNK):
                self.items.append((num[s:s + CHUNK], hour[s:s + CHUNK], tgt[s:s + CHUNK]))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        num, hour, tgt = self.items[i]
        return torch.from_numpy(num), torch.from_numpy(hour), torch.from_numpy(tgt)


def train_fn(model, loader, optimizer, device):
    model.train()
    tot = 0.0
    for num, hour, tgt in loader:
        num, hour, tgt = num.to(device), hour.to(device), tgt.to(device)
        loss = F.binary_cross_entropy_with_logits(model(num, hour), tgt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        tot += loss.item()
    return tot / len(loader)


def valid_fn(model, loader, device):
    model.eval()
    tot = 0.0
    with torch.no_grad():
        for num, hour, tgt in loader:
            logits = model(num.to(device), hour.to(device))
            tot += F.binary_cross_entropy_with_logits(logits, tgt.to(device)).item()
    return tot / len(loader)


def main():
    seed_everything()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    series = pd.read_parquet(f"{DATA}/train_series_hm.parquet")
    ids = series.series_id.unique()
    rng = np.random.default_rng(0)
    fold_of = dict(zip(ids, rng.integers(0, N_FOLDS, len(ids))))
    series["fold"] = series.series_id.map(fold_of)

    for fold in range(N_FOLDS):
        trn = ChunkDataset(series[series.fold != fold], train=True)
        val = ChunkDataset(series[series.fold == fold], train=False)
        trn_dl = DataLoader(trn, batch_size=BATCH_SIZE, shuffle=True, num_workers=4, drop_last=True)
        val_dl = DataLoader(val, batch_size=BATCH_SIZE, shuffle=False, num_workers=4)
        model = SleepNet().to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
        best = np.inf
        for epoch in range(EPOCHS):
            tr = train_fn(model, trn_dl, optimizer, device)
            va = valid_fn(model, val_dl, device)
            print(f"fold {fold} epoch {epoch}: train {tr:.4f} valid {va:.4f}")
            if va < best:
                best = va
                torch.save(model.state_dict(), f"sleepnet_fold{fold}.pt")
        del model, trn, val
        gc.collect()


if __name__ == "__main__":
    main()
