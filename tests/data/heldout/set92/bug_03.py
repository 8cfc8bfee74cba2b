#!/usr/bin/env python
# coding: utf-8
# Kaggle Playground S3E? - binary classification - MLP baseline (5-fold)
# forked from "simple NN baseline [0.87 CV]" and cleaned up a bit

import os
import random
import warnings

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, Dataset

warnings.filterwarnings("ignore")

CFG = {
    "seed": 42,
    "n_folds": 5,
    "epochs": 25,
    "batch_size": 512,
    "lr": 3e-3,
    "weight_decay": 1e-5,
    "hidden": 512,
    "dropout": 0.25,
    "data_dir": "/kaggle/input/playground-series-s3e12",
}
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def seed_everything(seed):
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


seed_everything(CFG["seed"])

train = pd.read_csv(f"{CFG['data_dir']}/train.csv")
test = pd.read_csv(f"{CFG['data_dir']}/test.csv")
sub = pd.read_csv(f"{CFG['data_dir']}/sample_submission.csv")
TARGET = "target"
FEATURES = [c for c in train.columns if c not in ("id", TARGET)]

scaler = StandardScaler().fit(pd.concat([train[FEATURES], test[FEATURES]]))
train[FEATURES] = scaler.transform(train[FEATURES])
test[FEATURES] = scaler.transform(test[FEATURES])


class TabDataset(Dataset):
    def __init__(self, X, y=None):
        self.X = torch.tensor(X, dtype=torch.float32)
        self.y = None if y is None else torch.tensor(y, dtype=torch.float32)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        if self.y is None:
            return self.X[i]
        return self.X[i], self.y[i]


class TabMLP(nn.Module):
    def __init__(self, n_features, hidden=CFG["hidden"], dropout=CFG["dropout"]):
        super().__init__()
        self.bn_in = nn.BatchNorm1d(n_features)
        self.fc1 = nn.Linear(n_features, hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden, 0.1)  # expect: BN206
        self.fc2 = nn.Linear(hidden, hidden // 2, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden // 2)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden // 2, 1)

    def forward(self, x):
        x = self.bn_in(x)
        x = self.drop(F.silu(self.bn1(self.fc1(x))))
        x = self.drop(F.silu(self.bn2(self.fc2(x))))
        return self.out(x).squeeze(-1)


criterion = nn.BCEWithLogitsLoss()


def train_fn(model, loader, optimizer, scheduler):
    model.train()
    losses = []
    for x, y in loader:
        x, y = x.to(DEVICE), y.to(DEVICE)
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return float(np.mean(losses))


def valid_fn(model, loader):
    preds, losses = [], []
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(DEVICE), y.to(DEVICE)
            logits = model(x)  # expect: BN101
            losses.append(criterion(logits, y).item())
            preds.append(torch.sigmoid(logits).cpu().numpy())
    return float(np.mean(losses)), np.concatenate(preds)


def inference_fn(model, loader):
    model.eval()
    preds = []
    with torch.no_grad():
        for x in loader:
            preds.append(torch.sigmoid(model(x.to(DEVICE))).cpu().numpy())
    return np.concatenate(preds)


oof = np.zeros(len(train))
test_preds = np.zeros(len(test))
skf = StratifiedKFold(n_splits=CFG["n_folds"], shuffle=True, random_state=CFG["seed"])
test_loader = DataLoader(TabDataset(test[FEATURES].values), batch_size=2048, shuffle=False)

for fold, (tr_idx, va_idx) in enumerate(skf.split(train, train[TARGET])):
    print(f"========== fold {fold} ==========")
    tr_df, va_df = train.iloc[tr_idx], train.iloc[va_idx]
    train_loader = DataLoader(TabDataset(tr_df[FEATURES].values, tr_df[TARGET].values),
                              batch_size=CFG["batch_size"], shuffle=True, drop_last=True)
    valid_loader = DataLoader(TabDataset(va_df[FEATURES].values, va_df[TARGET].values),
                              batch_size=2048, shuffle=False)

    model = TabMLP(len(FEATURES)).to(DEVICE)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CFG["lr"], weight_decay=CFG["weight_decay"])
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=CFG["lr"], epochs=CFG["epochs"],
                                                    steps_per_epoch=len(train_loader))
    best_auc, best_state = 0.0, None
    for epoch in range(CFG["epochs"]):
        tr_loss = train_fn(model, train_loader, optimizer, scheduler)
        va_loss, va_pred = valid_fn(model, valid_loader)
        auc = roc_auc_score(va_df[TARGET].values, va_pred)
        if auc > best_auc:
            best_auc = auc
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            oof[va_idx] = va_pred
        if epoch % 5 == 4:
            print(f"ep {epoch:02d} tr {tr_loss:.4f} va {va_loss:.4f} auc {auc:.4f}")
    print(f"fold {fold} best auc {best_auc:.5f}")

    model.load_state_dict(best_state)
    test_preds += inference_fn(model, test_loader) / CFG["n_folds"]

print("CV AUC:", roc_auc_score(train[TARGET].values, oof))
sub[TARGET] = test_preds
sub.to_csv("submission.csv", index=False)
sub.head()
