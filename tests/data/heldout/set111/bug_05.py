# Parkinson's Freezing of Gait Prediction -- 1D-CNN + BiGRU baseline
# Each sample is a 256-step window of 3-axis accelerometer data (downsampled to 32 Hz),
# predicting StartHesitation / Turn / Walking per time step.
import glob
import os
import random

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.metrics import average_precision_score
from sklearn.model_selection import GroupKFold
from torch.utils.data import DataLoader, Dataset

CFG = {
    "data_dir": "/kaggle/input/tlvmc-parkinsons-freezing-gait-prediction/train/tdcsfog",
    "window": 256,
    "stride": 128,
    "in_channels": 3,
    "conv_channels": 64,
    "gru_hidden": 128,
    "num_classes": 3,
    "batch_size": 4,
    "epochs": 15,
    "lr": 2e-3,
    "n_folds": 5,
    "seed": 7,
}


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


def load_series(path):
    df = pd.read_csv(path)
    x = df[["AccV", "AccML", "AccAP"]].values.astype(np.float32)
    y = df[["StartHesitation", "Turn", "Walking"]].values.astype(np.float32)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    return x, y


class FOGWindowDataset(Dataset):
    def __init__(self, files, window, stride):
        self.items = []
        for f in files:
            x, y = load_series(f)
            for start in range(0, max(len(x) - window, 0) + 1, stride):
                self.items.append((x[start:start + window], y[start:start + window]))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        x, y = self.items[i]
        return torch.from_numpy(x), torch.from_numpy(y)


class ConvBNAct(nn.Sequential):
    def __init__(self, c_in, c_out, k):
        super().__init__(
            nn.Conv1d(c_in, c_out, k, padding=k // 2, bias=False),
            nn.BatchNorm1d(c_out),
            nn.GELU(),
        )


class FOGNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c = cfg["conv_channels"]
        h = cfg["gru_hidden"]
        self.frontend = nn.Sequential(
            ConvBNAct(cfg["in_channels"], c, 7),
            ConvBNAct(c, c, 5),
            ConvBNAct(c, c, 3),
        )
        self.gru = nn.GRU(c, h, num_layers=2, batch_first=True, bidirectional=True, dropout=0.1)
        self.bn = nn.BatchNorm1d(2 * h)
        self.head = nn.Linear(2 * h, cfg["num_classes"])

    def forward(self, x):
        # x: (batch, time, channels)
        x = x.permute(0, 2, 1)          # -> (batch, channels, time) for Conv1d
        x = self.frontend(x)
        x = x.permute(0, 2, 1)          # -> (batch, time, channels) for the GRU
        x, _ = self.gru(x)              # (batch, time, 2*h)
        x = self.bn(x)  # expect: BN203
        return self.head(x)


def train_fn(model, loader, optimizer, criterion, device):
    model.train()
    losses = []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = criterion(logits, y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses))


def valid_fn(model, loader, device):
    model.eval()
    preds, trues = [], []
    with torch.no_grad():
        for x, y in loader:
            preds.append(torch.sigmoid(model(x.to(device))).cpu().numpy().reshape(-1, 3))
            trues.append(y.numpy().reshape(-1, 3))
    preds, trues = np.concatenate(preds), np.concatenate(trues)
    return np.mean([average_precision_score(trues[:, i], preds[:, i]) for i in range(3)])


def main(cfg=CFG):
    seed_everything(cfg["seed"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    files = np.array(sorted(glob.glob(os.path.join(cfg["data_dir"], "*.csv"))))
    subjects = np.array([os.path.basename(f)[:6] for f in files])

    gkf = GroupKFold(n_splits=cfg["n_folds"])
    for fold, (tr, va) in enumerate(gkf.split(files, groups=subjects)):
        train_ds = FOGWindowDataset(files[tr], cfg["window"], cfg["stride"])
        valid_ds = FOGWindowDataset(files[va], cfg["window"], cfg["window"])
        train_loader = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, num_workers=2)  # expect: BN301
        valid_loader = DataLoader(valid_ds, batch_size=64, shuffle=False, num_workers=2)

        model = FOGNet(cfg).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])
        criterion = nn.BCEWithLogitsLoss()
        best = -1.0
        for epoch in range(cfg["epochs"]):
            loss = train_fn(model, train_loader, optimizer, criterion, device)
            score = valid_fn(model, valid_loader, device)
            print(f"fold {fold} epoch {epoch} loss {loss:.4f} mAP {score:.4f}")
            if score > best:
                best = score
                torch.save(model.state_dict(), f"fognet_fold{fold}.pt")


if __name__ == "__main__":
    main()
