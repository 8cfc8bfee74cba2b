# MoA | 2-heads ResNet-like MLP with weight_norm (drug-level CV, 7 seeds)
# Part of our 23rd place blend.
import os
import random

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.preprocessing import QuantileTransformer
from torch.nn.utils import weight_norm
from torch.utils.data import DataLoader, Dataset

DATA = "../input/lish-moa"
SEEDS = [0, 1, 2, 3, 4, 5, 6]
NFOLDS = 5
EPOCHS = 24
BATCH_SIZE = 256
LR = 5e-3
WD = 1e-5
HIDDEN = 1024
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def seed_everything(seed=42):
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)
    torch.backends.cudnn.deterministic = True


class MoADataset(Dataset):
    def __init__(self, x, y=None):
        self.x = x.astype(np.float32)
        self.y = None if y is None else y.astype(np.float32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        if self.y is None:
            return torch.from_numpy(self.x[i])
        return torch.from_numpy(self.x[i]), torch.from_numpy(self.y[i])


class TwoHeadModel(nn.Module):
    """Classic MoA block order: BN -> Dropout -> (weight-normed) Linear -> activation.

    The Linear layers keep their bias: each one is followed by an activation,
    and the next BatchNorm only sees the activated output.
    """

    def __init__(self, num_features, num_targets, hidden=HIDDEN):
        super().__init__()
        self.head1 = nn.Sequential(
            nn.BatchNorm1d(num_features),
            nn.Dropout(0.2),
            weight_norm(nn.Linear(num_features, hidden)),
            nn.LeakyReLU(),
            nn.BatchNorm1d(hidden),
            nn.Dropout(0.3),
            weight_norm(nn.Linear(hidden, hidden // 2)),
            nn.LeakyReLU(),
        )
        self.head2 = nn.Sequential(
            nn.BatchNorm1d(num_features + hidden // 2),
            nn.Dropout(0.3),
            weight_norm(nn.Linear(num_features + hidden // 2, hidden // 2)),
            nn.ELU(),
            nn.BatchNorm1d(hidden // 2),
            nn.Dropout(0.3),
            weight_norm(nn.Linear(hidden // 2, hidden // 4)),
            nn.ELU(),
        )
        self.out = nn.Sequential(
            nn.BatchNorm1d(hidden // 4),
            weight_norm(nn.Linear(hidden // 4, num_targets)),
        )

    def forward(self, x):
        h = self.head1(x)
        h = torch.cat([x, h], dim=1)
        h = self.head2(h)
        return self.out(h)


class SmoothBCEwLogits(nn.Module):
    def __init__(self, smoothing=0.001):
        super().__init__()
        self.smoothing = smoothing

    def forward(self, logits, targets):
        targets = targets * (1.0 - self.smoothing) + 0.5 * self.smoothing
        return F.binary_cross_entropy_with_logits(logits, targets)


def train_fn(model, optimizer, scheduler, loss_fn, loader):
    model.train()
    running = 0.0
    for x, y in loader:
        x, y = x.to(DEVICE), y.to(DEVICE)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        running += loss.item()
    return running / len(loader)


def valid_fn(model, loader):
    model.eval()
    preds, losses = [], []
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            logits = model(x)
            losses.append(F.binary_cross_entropy_with_logits(logits, y).item())
            preds.append(logits.sigmoid().cpu().numpy())
    return float(np.mean(losses)), np.concatenate(preds)


def inference_fn(model, loader):
    model.eval()
    preds = []
    for x in loader:
        with torch.no_grad():
            preds.append(model(x.to(DEVICE)).sigmoid().cpu().numpy())
    return np.concatenate(preds)


def run_training(fold, seed, X, Y, X_test, folds):
    seed_everything(seed)
    trn_idx, val_idx = np.where(folds != fold)[0], np.where(folds == fold)[0]
    train_loader = DataLoader(MoADataset(X[trn_idx], Y[trn_idx]), batch_size=BATCH_SIZE, shuffle=True)
    valid_loader = DataLoader(MoADataset(X[val_idx], Y[val_idx]), batch_size=BATCH_SIZE, shuffle=False)
    test_loader = DataLoader(MoADataset(X_test), batch_size=BATCH_SIZE, shuffle=False)

    model = TwoHeadModel(X.shape[1], Y.shape[1]).to(DEVICE)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WD)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, epochs=EPOCHS, steps_per_epoch=len(train_loader), pct_start=0.1)
    loss_tr = SmoothBCEwLogits(smoothing=0.001)

    oof = np.zeros_like(Y, dtype=np.float32)
    best = np.inf
    ckpt = f"twohead_seed{seed}_fold{fold}.pth"
    for epoch in range(EPOCHS):
        tr_loss = train_fn(model, optimizer, scheduler, loss_tr, train_loader)
        va_loss, va_preds = valid_fn(model, valid_loader)
        if va_loss < best:
            best = va_loss
            oof[val_idx] = va_preds
            torch.save(model.state_dict(), ckpt)
        print(f"seed {seed} fold {fold} ep {epoch} tr {tr_loss:.5f} va {va_loss:.5f}")

    model = TwoHeadModel(X.shape[1], Y.shape[1])
    model.load_state_dict(torch.load(ckpt))
    model.to(DEVICE)
    return oof, inference_fn(model, test_loader)


def main():
    tr = pd.read_csv(f"{DATA}/train_features.csv")
    te = pd.read_csv(f"{DATA}/test_features.csv")
    ts = pd.read_csv(f"{DATA}/train_targets_scored.csv")
    feats = [c for c in tr.columns if c.startswith(("g-", "c-"))]
    qt = QuantileTransformer(n_quantiles=100, output_distribution="normal", random_state=0)
    X = qt.fit_transform(tr[feats].values)
    X_test = qt.transform(te[feats].values)
    Y = ts.drop(columns="sig_id").values
    rng = np.random.RandomState(42)
    folds = rng.randint(0, NFOLDS, size=len(X))

    preds = np.zeros((len(X_test), Y.shape[1]))
    for seed in SEEDS:
        for fold in range(NFOLDS):
            _, p = run_training(fold, seed, X, Y, X_test, folds)
            preds += p / (len(SEEDS) * NFOLDS)
    sub = pd.DataFrame(preds, columns=ts.columns[1:])
    sub.insert(0, "sig_id", te.sig_id.values)
    sub.to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()
