# MoA | Pytorch MLP baseline (weight_norm + BatchNorm1d), 5-fold x 3 seeds
# Public LB ~0.01843 -- forked from "MoA | Pytorch | 0.01859 | RankGauss | PCA | NN"

import os
import random
import warnings

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.model_selection import KFold
from torch.utils.data import DataLoader, Dataset

warnings.filterwarnings("ignore")


class CFG:
    data_dir = "../input/lish-moa"
    seeds = [0, 1, 2]
    n_folds = 5
    epochs = 25
    batch_size = 128
    lr = 1e-3
    weight_decay = 1e-5
    hidden_size = 1500
    early_stopping_steps = 10
    early_stop = False
    device = "cuda" if torch.cuda.is_available() else "cpu"


def seed_everything(seed=42):
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)
    torch.backends.cudnn.deterministic = True


train_features = pd.read_csv(f"{CFG.data_dir}/train_features.csv")
train_targets = pd.read_csv(f"{CFG.data_dir}/train_targets_scored.csv")
test_features = pd.read_csv(f"{CFG.data_dir}/test_features.csv")
sample_submission = pd.read_csv(f"{CFG.data_dir}/sample_submission.csv")

GENES = [c for c in train_features.columns if c.startswith("g-")]
CELLS = [c for c in train_features.columns if c.startswith("c-")]


def preprocess(df):
    df = df.copy()
    df["cp_time"] = df["cp_time"].map({24: 0, 48: 1, 72: 2})
    df["cp_dose"] = df["cp_dose"].map({"D1": 0, "D2": 1})
    return df


train = preprocess(train_features.merge(train_targets, on="sig_id"))
train = train[train["cp_type"] != "ctl_vehicle"].reset_index(drop=True)
test = preprocess(test_features)

target_cols = [c for c in train_targets.columns if c != "sig_id"]
feature_cols = ["cp_time", "cp_dose"] + GENES + CELLS


class MoADataset(Dataset):
    def __init__(self, features, targets):
        self.features = features
        self.targets = targets

    def __len__(self):
        return self.features.shape[0]

    def __getitem__(self, idx):
        return {
            "x": torch.tensor(self.features[idx, :], dtype=torch.float),
            "y": torch.tensor(self.targets[idx, :], dtype=torch.float),
        }


class TestDataset(Dataset):
    def __init__(self, features):
        self.features = features

    def __len__(self):
        return self.features.shape[0]

    def __getitem__(self, idx):
        return {"x": torch.tensor(self.features[idx, :], dtype=torch.float)}


class Model(nn.Module):
    def __init__(self, num_features, num_targets, hidden_size):
        super(Model, self).__init__()
        self.batch_norm1 = nn.BatchNorm1d(num_features)
        self.dropout1 = nn.Dropout(0.2)
        self.dense1 = nn.utils.weight_norm(nn.Linear(num_features, hidden_size))

        self.batch_norm2 = nn.BatchNorm1d(hidden_size)
        self.dropout2 = nn.Dropout(0.5)
        self.dense2 = nn.utils.weight_norm(nn.Linear(hidden_size, hidden_size // 2))

        self.batch_norm3 = nn.BatchNorm1d(hidden_size)  # expect: BN201
        self.dropout3 = nn.Dropout(0.5)
        self.dense3 = nn.utils.weight_norm(nn.Linear(hidden_size // 2, num_targets))

    def forward(self, x):
        x = self.batch_norm1(x)
        x = self.dropout1(x)
        x = F.relu(self.dense1(x))

        x = self.batch_norm2(x)
        x = self.dropout2(x)
        x = F.relu(self.dense2(x))

        x = self.batch_norm3(x)
        x = self.dropout3(x)
        x = self.dense3(x)
        return x


def train_fn(model, optimizer, scheduler, loss_fn, dataloader, device):
    model.train()
    final_loss = 0
    for data in dataloader:
        optimizer.zero_grad()
        inputs, targets = data["x"].to(device), data["y"].to(device)
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        loss.backward()
        optimizer.step()
        scheduler.step()
        final_loss += loss.item()
    return final_loss / len(dataloader)


def valid_fn(model, loss_fn, dataloader, device):
    model.eval()
    final_loss = 0
    valid_preds = []
    for data in dataloader:
        inputs, targets = data["x"].to(device), data["y"].to(device)
        with torch.no_grad():
            outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        final_loss += loss.item()
        valid_preds.append(outputs.sigmoid().detach().cpu().numpy())
    return final_loss / len(dataloader), np.concatenate(valid_preds)


def inference_fn(model, dataloader, device):
    preds = []
    for data in dataloader:
        inputs = data["x"].to(device)
        with torch.no_grad():
            outputs = model(inputs)  # expect: BN101
        preds.append(outputs.sigmoid().detach().cpu().numpy())
    return np.concatenate(preds)


def run_training(fold, seed, folds):
    seed_everything(seed)
    trn_idx = folds[folds["kfold"] != fold].index
    val_idx = folds[folds["kfold"] == fold].index

    x_train = folds.loc[trn_idx, feature_cols].values
    y_train = folds.loc[trn_idx, target_cols].values
    x_valid = folds.loc[val_idx, feature_cols].values
    y_valid = folds.loc[val_idx, target_cols].values

    train_dataset = MoADataset(x_train, y_train)
    valid_dataset = MoADataset(x_valid, y_valid)
    trainloader = DataLoader(train_dataset, batch_size=CFG.batch_size, shuffle=True)
    validloader = DataLoader(valid_dataset, batch_size=CFG.batch_size, shuffle=False)

    model = Model(num_features=len(feature_cols), num_targets=len(target_cols), hidden_size=CFG.hidden_size)
    model.to(CFG.device)

    optimizer = optim.Adam(model.parameters(), lr=CFG.lr, weight_decay=CFG.weight_decay)
    scheduler = optim.lr_scheduler.OneCycleLR(
        optimizer, pct_start=0.1, div_factor=1e3, max_lr=1e-2,
        epochs=CFG.epochs, steps_per_epoch=len(trainloader),
    )
    loss_fn = nn.BCEWithLogitsLoss()

    oof = np.zeros((len(folds), len(target_cols)))
    best_loss = np.inf
    early_step = 0
    for epoch in range(CFG.epochs):
        train_loss = train_fn(model, optimizer, scheduler, loss_fn, trainloader, CFG.device)
        valid_loss, valid_preds = valid_fn(model, loss_fn, validloader, CFG.device)
        print(f"SEED {seed} FOLD {fold} EPOCH {epoch} train_loss {train_loss:.6f} valid_loss {valid_loss:.6f}")

        if valid_loss < best_loss:
            best_loss = valid_loss
            oof[val_idx] = valid_preds
            torch.save(model.state_dict(), f"FOLD{fold}_SEED{seed}.pth")
        elif CFG.early_stop:
            early_step += 1
            if early_step >= CFG.early_stopping_steps:
                break

    # --------------------- PREDICTION ---------------------
    x_test = test[feature_cols].values
    testdataset = TestDataset(x_test)
    testloader = DataLoader(testdataset, batch_size=CFG.batch_size, shuffle=False)

    model = Model(num_features=len(feature_cols), num_targets=len(target_cols), hidden_size=CFG.hidden_size)
    model.load_state_dict(torch.load(f"FOLD{fold}_SEED{seed}.pth"))
    model.to(CFG.device)

    predictions = inference_fn(model, testloader, CFG.device)
    return oof, predictions


def run_k_fold(seed):
    folds = train.copy()
    kf = KFold(n_splits=CFG.n_folds, shuffle=True, random_state=seed)
    folds["kfold"] = -1
    for f, (_, v_idx) in enumerate(kf.split(folds)):
        folds.loc[v_idx, "kfold"] = f

    oof = np.zeros((len(train), len(target_cols)))
    predictions = np.zeros((len(test), len(target_cols)))
    for fold in range(CFG.n_folds):
        oof_, pred_ = run_training(fold, seed, folds)
        oof += oof_
        predictions += pred_ / CFG.n_folds
    return oof, predictions


if __name__ == "__main__":
    oof = np.zeros((len(train), len(target_cols)))
    predictions = np.zeros((len(test), len(target_cols)))
    for seed in CFG.seeds:
        oof_, predictions_ = run_k_fold(seed)
        oof += oof_ / len(CFG.seeds)
        predictions += predictions_ / len(CFG.seeds)

    test[target_cols] = predictions
    sub = sample_submission.drop(columns=target_cols).merge(test[["sig_id"] + target_cols], on="sig_id", how="left").fillna(0)
    sub.loc[test["cp_type"] == "ctl_vehicle", target_cols] = 0
    sub.to_csv("submission.csv", index=False)
