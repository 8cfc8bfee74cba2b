"""Tabular classifier (categorical embeddings + continuous features) for churn prediction.

Usage:
    python clean_04.py train --csv data/churn.csv --out model.pt
    python clean_04.py predict --csv data/new_customers.csv --model model.pt
"""
import argparse
import json

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

CAT_COLS = ["plan", "region", "device", "payment_method", "contract"]
CONT_COLS = ["tenure", "monthly_charges", "total_charges", "support_calls", "data_usage_gb"]
TARGET = "churned"


class TabularNet(nn.Module):
    def __init__(self, cardinalities, n_cont, emb_dim=8, hidden=(256, 128), dropout=0.2):
        super().__init__()
        self.n_cat = len(cardinalities)
        self.embedding = nn.Embedding(sum(cardinalities), emb_dim)
        self.register_buffer("offsets", torch.tensor([0] + list(np.cumsum(cardinalities)[:-1])))
        self.cont_norm = nn.BatchNorm1d(n_cont)
        layers = []
        prev = self.n_cat * emb_dim + n_cont
        for width in hidden:
            layers += [nn.Linear(prev, width, bias=False), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout)]
            prev = width
        layers.append(nn.Linear(prev, 1))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x_cat, x_cont):
        emb = self.embedding(x_cat + self.offsets)    # (N, n_cat, emb_dim)
        emb = emb.flatten(1)                          # (N, n_cat * emb_dim)
        x = torch.cat([emb, self.cont_norm(x_cont)], dim=1)
        return self.mlp(x).squeeze(1)


def encode(df, vocab=None):
    if vocab is None:
        vocab = {c: sorted(df[c].astype(str).unique().tolist()) for c in CAT_COLS}
    cats = np.stack([df[c].astype(str).map({v: i for i, v in enumerate(vocab[c])}).fillna(0).to_numpy()
                     for c in CAT_COLS], axis=1)
    conts = df[CONT_COLS].fillna(0.0).to_numpy(dtype=np.float32)
    conts = np.sign(conts) * np.log1p(np.abs(conts))
    return torch.as_tensor(cats, dtype=torch.long), torch.as_tensor(conts), vocab


def fit(args):
    df = pd.read_csv(args.csv)
    x_cat, x_cont, vocab = encode(df)
    y = torch.as_tensor(df[TARGET].to_numpy(dtype=np.float32))
    dataset = TensorDataset(x_cat, x_cont, y)
    n_val = len(dataset) // 10
    train_ds, val_ds = random_split(dataset, [len(dataset) - n_val, n_val],
                                    generator=torch.Generator().manual_seed(0))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=1024)

    model = TabularNet([len(vocab[c]) + 1 for c in CAT_COLS], len(CONT_COLS))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)
    pos_weight = (len(y) - y.sum()) / y.sum().clamp(min=1)
    best_auc, best_state = 0.0, None
    for epoch in range(args.epochs):
        model.train()
        for xc, xn, target in train_loader:
            loss = F.binary_cross_entropy_with_logits(model(xc, xn), target, pos_weight=pos_weight)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        auc = validate(model, val_loader)
        print(f"epoch {epoch}: val AUC {auc:.4f}")
        if auc > best_auc:
            best_auc = auc
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save({"state_dict": best_state, "vocab": vocab}, args.out)


def roc_auc(scores, labels):
    """Mann-Whitney estimate of the area under the ROC curve."""
    ranks = scores.argsort().argsort() + 1
    n_pos = labels.sum()
    n_neg = len(labels) - n_pos
    return float((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / max(n_pos * n_neg, 1))


@torch.no_grad()
def validate(model, loader):
    model.eval()
    scores, labels = [], []
    for xc, xn, target in loader:
        scores.append(torch.sigmoid(model(xc, xn)))
        labels.append(target)
    return roc_auc(torch.cat(scores).numpy(), torch.cat(labels).numpy())


def predict(args):
    ckpt = torch.load(args.model)
    vocab = ckpt["vocab"]
    model = TabularNet([len(vocab[c]) + 1 for c in CAT_COLS], len(CONT_COLS))
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    df = pd.read_csv(args.csv)
    x_cat, x_cont, _ = encode(df, vocab)
    with torch.inference_mode():
        probs = torch.sigmoid(model(x_cat, x_cont)).numpy()
    df["churn_probability"] = probs
    df.to_csv(args.csv.replace(".csv", "_scored.csv"), index=False)
    print(json.dumps({"rows": len(df), "mean_probability": float(probs.mean())}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_fit = sub.add_parser("train")
    p_fit.add_argument("--csv", required=True)
    p_fit.add_argument("--out", default="model.pt")
    p_fit.add_argument("--batch-size", type=int, default=512)
    p_fit.add_argument("--epochs", type=int, default=25)
    p_fit.add_argument("--lr", type=float, default=1e-3)
    p_pred = sub.add_parser("predict")
    p_pred.add_argument("--csv", required=True)
    p_pred.add_argument("--model", required=True)
    args = parser.parse_args()
    if args.cmd == "train":
        fit(args)
    else:
        predict(args)


if __name__ == "__main__":
    main()
