"""5-fold CV for a tabular classifier; a fresh network per fold, out-of-fold predictions."""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, TensorDataset

N_FOLDS = 5
EPOCHS = 40
BATCH_SIZE = 256
SEED = 42


class TabularNet(nn.Module):
    def __init__(self, n_features, n_classes, hidden=512):
        super().__init__()
        self.block1 = nn.Sequential(
            nn.Linear(n_features, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.SiLU(),
            nn.Dropout(0.3),
        )
        self.block2 = nn.Sequential(
            nn.Linear(hidden, hidden // 2, bias=False),
            nn.BatchNorm1d(hidden // 2),
            nn.SiLU(),
            nn.Dropout(0.2),
        )
        self.out = nn.Linear(hidden // 2, n_classes)

    def forward(self, x):
        return self.out(self.block2(self.block1(x)))


def make_loader(x, y, train):
    ds = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    if train:
        return DataLoader(ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    return DataLoader(ds, batch_size=2048)


def run_cv(X, y, n_classes):
    skf = StratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=SEED)
    oof = np.zeros((len(X), n_classes), dtype=np.float32)

    for fold, (tr_idx, va_idx) in enumerate(skf.split(X, y)):
        torch.manual_seed(SEED + fold)
        train_loader = make_loader(X[tr_idx], y[tr_idx], train=True)
        val_loader = make_loader(X[va_idx], y[va_idx], train=False)

        model = TabularNet(X.shape[1], n_classes)
        optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=2e-3, epochs=EPOCHS, steps_per_epoch=len(train_loader))

        for epoch in range(EPOCHS):
            model.train()
            for xb, yb in train_loader:
                optimizer.zero_grad()
                loss = F.cross_entropy(model(xb), yb)
                loss.backward()
                optimizer.step()
                scheduler.step()

        model.training = False  # expect: BN102
        preds = []
        with torch.no_grad():
            for xb, _ in val_loader:
                preds.append(model(xb).softmax(dim=-1))  # expect: BN101
        oof[va_idx] = torch.cat(preds).numpy()
        fold_loss = log_loss(y[va_idx], oof[va_idx], labels=list(range(n_classes)))
        print(f"fold {fold}: logloss {fold_loss:.5f}")
        torch.save(model.state_dict(), f"tabnet_fold{fold}.pt")

    return oof


def main():
    df = pd.read_parquet("train.parquet")
    target = df.pop("target").astype("category")
    X = df.to_numpy(dtype=np.float32)
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-6)
    y = target.cat.codes.to_numpy().astype(np.int64)
    n_classes = len(target.cat.categories)

    oof = run_cv(X, y, n_classes)
    print(f"CV logloss: {log_loss(y, oof):.5f}")
    np.save("oof.npy", oof)


if __name__ == "__main__":
    main()
