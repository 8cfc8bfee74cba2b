# Kaggle-style tabular MLP (multi-label targets) trained with AMP on all visible GPUs.
import os
import random

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

SEED = 2024
BATCH_SIZE = 256
EPOCHS = 25
LR = 1e-3
N_FOLDS = 5
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed=SEED):
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)


class TabularDataset(Dataset):
    def __init__(self, features, targets=None):
        self.features = torch.tensor(features, dtype=torch.float32)
        self.targets = None if targets is None else torch.tensor(targets, dtype=torch.float32)

    def __len__(self):
        return self.features.shape[0]

    def __getitem__(self, idx):
        if self.targets is None:
            return self.features[idx]
        return self.features[idx], self.targets[idx]


class MoAModel(nn.Module):
    def __init__(self, num_features, num_targets, hidden=1024):
        super().__init__()
        self.input_bn = nn.BatchNorm1d(num_features)
        self.block1 = nn.Sequential(
            nn.Dropout(0.2),
            nn.Linear(num_features, hidden),
            nn.LeakyReLU(),
            nn.BatchNorm1d(hidden),
        )
        self.block2 = nn.Sequential(
            nn.Dropout(0.3),
            nn.Linear(hidden, hidden // 2, bias=False),
            nn.BatchNorm1d(hidden // 2),
            nn.LeakyReLU(),
        )
        self.out = nn.Linear(hidden // 2, num_targets)

    def forward(self, x):
        x = self.input_bn(x)
        x = self.block2(self.block1(x))
        return self.out(x)


def train_fn(model, loader, optimizer, scheduler, scaler, loss_fn):
    model.train()
    total = 0.0
    for x, y in loader:
        x, y = x.to(DEVICE), y.to(DEVICE)
        optimizer.zero_grad()
        with torch.cuda.amp.autocast():
            loss = loss_fn(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        total += loss.item()
    return total / len(loader)


def valid_fn(model, loader, loss_fn):
    model.eval()
    total, preds = 0.0, []
    with torch.inference_mode():
        for x, y in loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            logits = model(x)
            total += loss_fn(logits, y).item()
            preds.append(logits.sigmoid().cpu().numpy())
    return total / len(loader), np.concatenate(preds)


def inference_fn(model, loader):
    model.eval()
    preds = []
    with torch.inference_mode():
        for x in loader:
            preds.append(model(x.to(DEVICE)).sigmoid().cpu().numpy())
    return np.concatenate(preds)


def run_fold(fold, train_df, test_x, feature_cols, target_cols):
    trn = train_df[train_df.kfold != fold]
    val = train_df[train_df.kfold == fold]
    train_loader = DataLoader(TabularDataset(trn[feature_cols].values, trn[target_cols].values), batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    valid_loader = DataLoader(TabularDataset(val[feature_cols].values, val[target_cols].values), batch_size=BATCH_SIZE * 4, shuffle=False)
    test_loader = DataLoader(TabularDataset(test_x), batch_size=BATCH_SIZE * 4, shuffle=False)

    model = MoAModel(len(feature_cols), len(target_cols))
    if torch.cuda.device_count() > 1:
        model = nn.DataParallel(model)
    model.to(DEVICE)

    optimizer = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, epochs=EPOCHS, steps_per_epoch=len(train_loader))
    scaler = torch.cuda.amp.GradScaler()
    loss_fn = nn.BCEWithLogitsLoss()

    best = np.inf
    for epoch in range(EPOCHS):
        train_loss = train_fn(model, train_loader, optimizer, scheduler, scaler, loss_fn)
        valid_loss, _ = valid_fn(model, valid_loader, loss_fn)
        print(f"fold {fold} epoch {epoch:02d} train {train_loss:.5f} valid {valid_loss:.5f}")
        if valid_loss < best:
            best = valid_loss
            torch.save(model.state_dict(), f"fold{fold}.pth")

    model.load_state_dict(torch.load(f"fold{fold}.pth"))
    return inference_fn(model, test_loader)


if __name__ == "__main__":
    seed_everything()
    train = pd.read_csv("../input/train_features_folds.csv")
    test = pd.read_csv("../input/test_features.csv")
    targets = [c for c in train.columns if c.startswith("t_")]
    features = [c for c in test.columns if c not in ("sig_id",)]
    preds = np.zeros((len(test), len(targets)))
    for fold in range(N_FOLDS):
        preds += run_fold(fold, train, test[features].values, features, targets) / N_FOLDS
    sub = pd.DataFrame(preds, columns=targets)
    sub.insert(0, "sig_id", test.sig_id.values)
    sub.to_csv("submission.csv", index=False)
