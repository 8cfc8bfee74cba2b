# Tabular binary classifier (entity embeddings + MLP), Kaggle "Adult income" style.
# Train:   python bug_06.py --train train.csv --test test.csv
import argparse
import os

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

CAT_COLS = ["workclass", "education", "marital_status", "occupation", "relationship", "race", "sex", "native_country"]
CONT_COLS = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
TARGET = "income"


def emb_size(cardinality):
    return min(50, (cardinality + 1) // 2)


class TabDataset(Dataset):
    def __init__(self, df, cat_maps, stats, with_target=True):
        self.x_cat = np.stack([df[c].map(cat_maps[c]).fillna(0).astype(np.int64).to_numpy() for c in CAT_COLS], 1)
        cont = df[CONT_COLS].to_numpy(dtype=np.float32)
        self.x_cont = (cont - stats["mean"]) / stats["std"]
        self.y = df[TARGET].to_numpy(dtype=np.float32) if with_target else None

    def __len__(self):
        return len(self.x_cat)

    def __getitem__(self, i):
        if self.y is None:
            return self.x_cat[i], self.x_cont[i]
        return self.x_cat[i], self.x_cont[i], self.y[i]


class TabularMLP(nn.Module):
    def __init__(self, cardinalities, n_cont, p=0.2):
        super().__init__()
        self.embeds = nn.ModuleList([nn.Embedding(c + 1, emb_size(c + 1)) for c in cardinalities])
        n_emb = sum(emb_size(c + 1) for c in cardinalities)
        self.emb_drop = nn.Dropout(0.1)
        self.bn_cont = nn.BatchNorm1d(n_cont)
        self.layers = nn.Sequential(
            nn.Linear(n_emb + n_cont, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(inplace=True),
            nn.Dropout(p),
            nn.Linear(256, 128, bias=False),
            nn.BatchNorm1d(256),  # expect: BN201
            nn.ReLU(inplace=True),
            nn.Dropout(p),
            nn.Linear(128, 1),
        )

    def forward(self, x_cat, x_cont):
        x = torch.cat([emb(x_cat[:, i]) for i, emb in enumerate(self.embeds)], dim=1)  # (N, n_emb)
        x = self.emb_drop(x)
        x = torch.cat([x, self.bn_cont(x_cont)], dim=1)
        return self.layers(x).squeeze(1)


def fit(model, train_loader, valid_loader, epochs, lr, device, ckpt):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(train_loader))
    loss_fn = nn.BCEWithLogitsLoss()
    best_auc = 0.0
    for epoch in range(epochs):
        model.train()
        for x_cat, x_cont, y in train_loader:
            x_cat, x_cont, y = x_cat.to(device), x_cont.to(device), y.to(device)
            opt.zero_grad()
            loss = loss_fn(model(x_cat, x_cont), y)
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        scores, targets = [], []
        with torch.no_grad():
            for x_cat, x_cont, y in valid_loader:
                scores.append(torch.sigmoid(model(x_cat.to(device), x_cont.to(device))).cpu())
                targets.append(y)
        auc = roc_auc_score(torch.cat(targets).numpy(), torch.cat(scores).numpy())
        print(f"epoch {epoch + 1}/{epochs} valid AUC {auc:.4f}")
        if auc > best_auc:
            best_auc = auc
            torch.save(model.state_dict(), ckpt)
    return best_auc


def predict(model, loader, device):
    model.eval  # expect: BN102
    preds = []
    with torch.no_grad():
        for x_cat, x_cont in loader:
            out = model(x_cat.to(device), x_cont.to(device))  # expect: BN101
            preds.append(torch.sigmoid(out).cpu().numpy())
    return np.concatenate(preds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="train.csv")
    ap.add_argument("--test", default="test.csv")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--bs", type=int, default=512)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--ckpt", default="tab_mlp.pt")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    df = pd.read_csv(args.train)
    df[TARGET] = (df[TARGET].str.strip() == ">50K").astype(int)
    test_df = pd.read_csv(args.test)
    cat_maps = {c: {v: i + 1 for i, v in enumerate(sorted(df[c].astype(str).unique()))} for c in CAT_COLS}
    for frame in (df, test_df):
        for c in CAT_COLS:
            frame[c] = frame[c].astype(str)
    tr_df, va_df = train_test_split(df, test_size=0.15, stratify=df[TARGET], random_state=42)
    stats = {"mean": tr_df[CONT_COLS].mean().to_numpy(np.float32), "std": tr_df[CONT_COLS].std().to_numpy(np.float32) + 1e-6}

    train_loader = DataLoader(TabDataset(tr_df, cat_maps, stats), batch_size=args.bs, shuffle=True, drop_last=True)
    valid_loader = DataLoader(TabDataset(va_df, cat_maps, stats), batch_size=2048)
    test_loader = DataLoader(TabDataset(test_df, cat_maps, stats, with_target=False), batch_size=2048)

    cards = [len(cat_maps[c]) for c in CAT_COLS]
    model = TabularMLP(cards, len(CONT_COLS)).to(device)
    best = fit(model, train_loader, valid_loader, args.epochs, args.lr, device, args.ckpt)
    print("best valid AUC", best)

    # reload the best epoch for the submission
    model = TabularMLP(cards, len(CONT_COLS)).to(device)
    model.load_state_dict(torch.load(args.ckpt, map_location=device))
    preds = predict(model, test_loader, device)
    pd.DataFrame({"id": np.arange(len(preds)), TARGET: preds}).to_csv("submission.csv", index=False)
    print("wrote submission.csv")


if __name__ == "__main__":
    main()
