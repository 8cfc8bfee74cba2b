# Mechanisms-of-Action style multilabel tabular MLP (Kaggle kernel layout).
# BatchNorm1d is applied to 2-D (batch, features) tensors throughout.
import os
import random

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.model_selection import KFold
from torch.utils.data import DataLoader, Dataset

SEED = 42
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
EPOCHS = 25
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 1e-5
NFOLDS = 5
HIDDEN_SIZE = 1024


def seed_everything(seed=SEED):
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)
    torch.backends.cudnn.deterministic = True


class MoADataset(Dataset):
    def __init__(self, features, targets=None):
        self.features = features.astype(np.float32)
        self.targets = None if targets is None else targets.astype(np.float32)

    def __len__(self):
        return self.features.shape[0]

    def __getitem__(self, idx):
        x = torch.from_numpy(self.features[idx])
        if self.targets is None:
            return x
        return x, torch.from_numpy(self.targets[idx])


class Model(nn.Module):
    def __init__(self, num_features, num_targets, hidden_size=HIDDEN_SIZE):
        super().__init__()
        self.batch_norm1 = nn.BatchNorm1d(num_features)
        self.dropout1 = nn.Dropout(0.2)
        self.dense1 = nn.utils.weight_norm(nn.Linear(num_features, hidden_size))

        self.batch_norm2 = nn.BatchNorm1d(hidden_size)
        self.dropout2 = nn.Dropout(0.5)
        self.dense2 = nn.utils.weight_norm(nn.Linear(hidden_size, hidden_size))

        self.batch_norm3 = nn.BatchNorm1d(hidden_size, momentum=0.01)
        self.dropout3 = nn.Dropout(0.5)
        self.dense3 = nn.utils.weight_norm(nn.Linear(hidden_size, num_targets))

    def forward(self, x):
        x = self.batch_norm1(x)
        x = self.dropout1(x)
        x = F.relu(self.dense1(x))

        x = self.batch_norm2(x)
        x = self.dropout2(x)
        x = F.relu(self.dense2(x))

        x = self.batch_norm3(x)
        x = self.dropout3(x)
        return self.dense3(x)


def train_fn(model, optimizer, scheduler, loss_fn, dataloader):
    model.train()
    final_loss = 0.0
    for inputs, targets in dataloader:
        inputs, targets = inputs.to(DEVICE), targets.to(DEVICE)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        scheduler.step()
        final_loss += loss.item()
    return final_loss / len(dataloader)


def valid_fn(model, loss_fn, dataloader):
    model.eval()
    final_loss, valid_preds = 0.0, []
    with torch.no_grad():
        for inputs, targets in dataloader:
            outputs = model(inputs.to(DEVICE))
            final_loss += loss_fn(outputs, targets.to(DEVICE)).item()
            valid_preds.append(outputs.sigmoid().cpu().numpy())
    return final_loss / len(dataloader), np.concatenate(valid_preds)


def inference_fn(model, dataloader):
    model.eval()
    preds = []
    for inputs in dataloader:
        with torch.no_grad():
            preds.append(model(inputs.to(DEVICE)).sigmoid().cpu().numpy())
    return np.concatenate(preds)


def run_training(fold, train, test, feature_cols, target_cols, folds):
    trn_idx, val_idx = folds[fold]
    x_tr, y_tr = train.iloc[trn_idx][feature_cols].values, train.iloc[trn_idx][target_cols].values
    x_va, y_va = train.iloc[val_idx][feature_cols].values, train.iloc[val_idx][target_cols].values

    trainloader = DataLoader(MoADataset(x_tr, y_tr), batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    validloader = DataLoader(MoADataset(x_va, y_va), batch_size=BATCH_SIZE, shuffle=False)
    testloader = DataLoader(MoADataset(test[feature_cols].values), batch_size=BATCH_SIZE, shuffle=False)

    model = Model(len(feature_cols), len(target_cols)).to(DEVICE)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, pct_start=0.1, div_factor=1e3, max_lr=1e-2, epochs=EPOCHS, steps_per_epoch=len(trainloader))
    loss_fn = nn.BCEWithLogitsLoss()

    best_loss = np.inf
    oof = np.zeros((len(train), len(target_cols)))
    for epoch in range(EPOCHS):
        train_loss = train_fn(model, optimizer, scheduler, loss_fn, trainloader)
        valid_loss, valid_preds = valid_fn(model, loss_fn, validloader)
        print(f"FOLD {fold} EPOCH {epoch} train {train_loss:.5f} valid {valid_loss:.5f}")
        if valid_loss < best_loss:
            best_loss = valid_loss
            oof[val_idx] = valid_preds
            torch.save(model.state_dict(), f"FOLD{fold}_.pth")

    model = Model(len(feature_cols), len(target_cols)).to(DEVICE)
    model.load_state_dict(torch.load(f"FOLD{fold}_.pth"))
    return oof, inference_fn(model, testloader)


if __name__ == "__main__":
    seed_everything()
    train = pd.read_csv("../input/lish-moa/train_features.csv")
    targets = pd.read_csv("../input/lish-moa/train_targets_scored.csv")
    test = pd.read_csv("../input/lish-moa/test_features.csv")
    train = train.merge(targets, on="sig_id")
    target_cols = [c for c in targets.columns if c != "sig_id"]
    feature_cols = [c for c in train.columns if c.startswith(("g-", "c-"))]
    folds = list(KFold(n_splits=NFOLDS, shuffle=True, random_state=SEED).split(train))

    oof, predictions = np.zeros((len(train), len(target_cols))), np.zeros((len(test), len(target_cols)))
    for fold in range(NFOLDS):
        f_oof, f_pred = run_training(fold, train, test, feature_cols, target_cols, folds)
        oof += f_oof
        predictions += f_pred / NFOLDS
    sub = pd.DataFrame(predictions, columns=target_cols)
    sub.insert(0, "sig_id", test["sig_id"].values)
    sub.to_csv("submission.csv", index=False)
