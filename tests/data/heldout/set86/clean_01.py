"""Adult-income style binary classifier on a mixed tabular CSV.

Categorical columns are one-hot encoded, numeric ones standardised, then a
BatchNorm MLP is trained.  Batch size must be given on the command line because
we sweep it from the scheduler (see sweep.yaml).
"""
import argparse
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from torch.utils.data import DataLoader, TensorDataset

CATEGORICAL = ["workclass", "education", "marital_status", "occupation", "relationship", "race", "sex", "native_country"]
NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]


def build_model(n_in, hidden=256):
    return nn.Sequential(
        # raw features: normalise without a learned affine so the bias below is not redundant
        nn.Linear(n_in, hidden),
        nn.BatchNorm1d(hidden, affine=False, momentum=0.01),
        nn.ReLU(),
        nn.Linear(hidden, hidden // 2, bias=False),
        nn.BatchNorm1d(hidden // 2, momentum=0.01),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(hidden // 2, 1),
    )


def make_datasets(csv_path, seed):
    df = pd.read_csv(csv_path).dropna()
    y = (df.pop("income").str.strip() == ">50K").astype(np.float32).values
    pre = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
        ("num", StandardScaler(), NUMERIC),
    ])
    X_tr, X_te, y_tr, y_te = train_test_split(df, y, test_size=0.25, random_state=seed, stratify=y)
    X_tr = pre.fit_transform(X_tr).astype(np.float32)
    X_te = pre.transform(X_te).astype(np.float32)
    return (TensorDataset(torch.from_numpy(X_tr), torch.from_numpy(y_tr)),
            TensorDataset(torch.from_numpy(X_te), torch.from_numpy(y_te)))


def evaluate(model, loader, device):
    model.eval()
    correct, n = 0, 0
    with torch.no_grad():
        for xb, yb in loader:
            logits = model(xb.to(device)).squeeze(1)
            correct += ((logits > 0).float().cpu() == yb).sum().item()
            n += yb.numel()
    return correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-dir", default="models/adult")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_ds, test_ds = make_datasets(args.csv, args.seed)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_ds, batch_size=1024)

    model = build_model(train_ds.tensors[0].shape[1], args.hidden).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.BCEWithLogitsLoss()

    for epoch in range(args.epochs):
        model.train()
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb).squeeze(1), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        acc = evaluate(model, test_loader, device)
        print(f"epoch {epoch + 1}: loss={loss.item():.4f} test_acc={acc:.4f}")

    os.makedirs(args.save_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.save_dir, f"mlp_bs{args.batch_size}.pt"))


if __name__ == "__main__":
    main()
