# A: "BatchNorm needs more than one sample per channel to compute a variance in
# training mode. Train with a real mini-batch (32 works fine for ~800 rows) and keep
# batch_size=1 only where the model is in eval mode (validation / single predictions),
# where BN uses its running statistics. Also, BatchNorm1d(hidden, 0.9) sets eps=0.9,
# not momentum -- pass momentum as a keyword (and PyTorch's default 0.1 is fine)."
#
# Fixed version:

import argparse
import logging

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
log = logging.getLogger("tabular")


class CSVDataset(Dataset):
    def __init__(self, path, target_col="target", stats=None):
        df = pd.read_csv(path)
        y = df[target_col].values.astype(np.float32)
        X = df.drop(columns=[target_col]).values.astype(np.float32)
        if stats is None:
            stats = (X.mean(axis=0), X.std(axis=0) + 1e-6)
        self.stats = stats
        self.X = (X - stats[0]) / stats[1]
        self.y = y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, idx):
        return torch.from_numpy(self.X[idx]), torch.tensor(self.y[idx])


class MLP(nn.Module):
    def __init__(self, in_features, hidden=64, p_drop=0.2):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.act1 = nn.ReLU()
        self.bn1 = nn.BatchNorm1d(hidden, momentum=0.1)
        self.fc2 = nn.Linear(hidden, hidden // 2)
        self.act2 = nn.ReLU()
        self.bn2 = nn.BatchNorm1d(hidden // 2)
        self.drop = nn.Dropout(p_drop)
        self.out = nn.Linear(hidden // 2, 1)

    def forward(self, x):
        x = self.bn1(self.act1(self.fc1(x)))
        x = self.drop(self.bn2(self.act2(self.fc2(x))))
        return self.out(x).squeeze(-1)


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--train-csv", default="data/train.csv")
    p.add_argument("--val-csv", default="data/val.csv")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--lr", type=float, default=3e-4)
    return p.parse_args()


def predict_one(model, features):
    """single-row prediction for the web demo; batch of 1 is fine in eval mode"""
    model.eval()
    with torch.no_grad():
        x = torch.as_tensor(features, dtype=torch.float32).unsqueeze(0)
        return model(x).item()


def main():
    args = get_args()
    train_ds = CSVDataset(args.train_csv)
    val_ds = CSVDataset(args.val_csv, stats=train_ds.stats)

    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=1, shuffle=False)

    model = MLP(in_features=train_ds.X.shape[1])
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)

    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            pred = model(xb)
            loss = criterion(pred, yb)
            loss.backward()
            optimizer.step()
            running += loss.item() * xb.size(0)

        model.eval()
        with torch.no_grad():
            val_loss = sum(criterion(model(xb), yb).item() for xb, yb in val_loader)
        log.info("epoch %d train %.4f val %.4f", epoch, running / len(train_ds), val_loss / len(val_ds))

    torch.save(model.state_dict(), "mlp.pt")
    log.info("example prediction: %.3f", predict_one(model, val_ds.X[0]))


if __name__ == "__main__":
    main()
