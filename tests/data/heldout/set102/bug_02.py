# Q: ValueError: Expected more than 1 value per channel when training, got input size torch.Size([1, 64])
#
# My dataset is small (~800 rows of sensor data) so I train with batch size 1, which
# worked fine before I added BatchNorm1d. Now the very first forward pass crashes.
# What does this error mean? Code:

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
        self.bn1 = nn.BatchNorm1d(hidden, 0.9)  # expect: BN206
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
    p.add_argument("--batch-size", type=int, default=1, help="dataset is tiny so I use 1")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--lr", type=float, default=3e-4)
    return p.parse_args()


def main():
    args = get_args()
    train_ds = CSVDataset(args.train_csv)
    val_ds = CSVDataset(args.val_csv, stats=train_ds.stats)

    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)  # expect: BN301
    val_loader = DataLoader(val_ds, batch_size=256, shuffle=False)

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
            val_loss = sum(criterion(model(xb), yb).item() * xb.size(0) for xb, yb in val_loader)
        log.info("epoch %d train %.4f val %.4f", epoch, running / len(train_ds), val_loss / len(val_ds))

    torch.save(model.state_dict(), "mlp.pt")


if __name__ == "__main__":
    main()
