"""Churn prediction from app event sequences + account-level numeric features.

Each customer is a padded sequence of the last MAX_EVENTS event ids plus a small
vector of numeric account features.  Binary target: churned within 30 days.
"""
import os
import pickle

import numpy as np
import torch
import torch.nn as nn
from sklearn.metrics import average_precision_score, roc_auc_score
from torch.utils.data import DataLoader, Dataset

DATA_DIR = "data/churn"
MAX_EVENTS = 200
EMB_DIM = 32
N_NUMERIC = 14
BATCH_SIZE = 256
EPOCHS = 10
LR = 2e-3
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


class ChurnDataset(Dataset):
    def __init__(self, path):
        with open(path, "rb") as fh:
            blob = pickle.load(fh)
        self.events = blob["events"]      # list of int lists
        self.numeric = blob["numeric"].astype(np.float32)
        self.labels = blob["labels"].astype(np.float32)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        ev = self.events[i][-MAX_EVENTS:]
        seq = np.zeros(MAX_EVENTS, dtype=np.int64)
        seq[-len(ev):] = ev
        return torch.from_numpy(seq), torch.from_numpy(self.numeric[i]), torch.tensor(self.labels[i])


class ChurnNet(nn.Module):
    def __init__(self, n_event_types):
        super().__init__()
        self.event_emb = nn.Embedding(n_event_types, EMB_DIM, padding_idx=0)
        self.emb_bn = nn.BatchNorm1d(EMB_DIM)
        self.num_bn = nn.BatchNorm1d(N_NUMERIC)
        self.mlp = nn.Sequential(
            nn.Linear(EMB_DIM + N_NUMERIC, 64, bias=False),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(64, 1),
        )

    def forward(self, seq, numeric):
        e = self.emb_bn(self.event_emb(seq))                  # (B, MAX_EVENTS, EMB_DIM)  # expect: BN203
        mask = (seq != 0).unsqueeze(-1).float()
        pooled = (e * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        x = torch.cat([pooled, self.num_bn(numeric)], dim=1)
        return self.mlp(x).squeeze(-1)


def validate(model, loader):
    model.eval()
    scores, targets = [], []
    with torch.no_grad():
        for seq, num, y in loader:
            scores.append(torch.sigmoid(model(seq.to(DEVICE), num.to(DEVICE))).cpu())
            targets.append(y)
    scores = torch.cat(scores).numpy()
    targets = torch.cat(targets).numpy()
    return roc_auc_score(targets, scores), average_precision_score(targets, scores)


def main():
    with open(os.path.join(DATA_DIR, "vocab.pkl"), "rb") as fh:
        vocab = pickle.load(fh)
    train_ds = ChurnDataset(os.path.join(DATA_DIR, "train.pkl"))
    val_ds = ChurnDataset(os.path.join(DATA_DIR, "val.pkl"))
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=1024)

    pos_weight = torch.tensor((1 - train_ds.labels.mean()) / train_ds.labels.mean(), device=DEVICE)
    model = ChurnNet(len(vocab) + 1).to(DEVICE)
    criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)

    best_ap = 0.0
    model.train()
    for epoch in range(EPOCHS):
        total = 0.0
        for seq, num, y in train_loader:
            seq, num, y = seq.to(DEVICE), num.to(DEVICE), y.to(DEVICE)
            optimizer.zero_grad()
            loss = criterion(model(seq, num), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        auc, ap = validate(model, val_loader)  # expect: BN103
        print(f"epoch {epoch}: train loss {total / len(train_loader):.4f}  val AUC {auc:.4f}  AP {ap:.4f}")
        if ap > best_ap:
            best_ap = ap
            torch.save(model.state_dict(), os.path.join(DATA_DIR, "churn_net.pt"))


if __name__ == "__main__":
    main()
