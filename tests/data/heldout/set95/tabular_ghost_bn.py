"""Tabular churn model with Ghost Batch Normalization (port of our Keras model).

Large batches (4096 rows) are normalised in "virtual" sub-batches of 256,
which regularises like small-batch BN while keeping the throughput of large
batches (Hoffer et al., 2017; also used by TabNet).
"""
import argparse

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from torch.utils.data import DataLoader, TensorDataset


class GhostBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm1d that normalises each virtual batch of ``virtual_batch_size`` rows."""

    def __init__(self, num_features, virtual_batch_size=256, momentum=0.02, eps=1e-5):
        super().__init__(num_features, eps=eps, momentum=momentum)
        self.virtual_batch_size = virtual_batch_size

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        n_chunks = max(1, int(np.ceil(x.shape[0] / self.virtual_batch_size)))
        return torch.cat([super(GhostBatchNorm1d, self).forward(c) for c in x.chunk(n_chunks, 0)], 0)


class ChurnNet(nn.Module):
    def __init__(self, n_numeric, cat_cardinalities, emb_dim=8, hidden=(256, 128), vbs=256):
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(c + 1, emb_dim) for c in cat_cardinalities)
        self.num_bn = nn.BatchNorm1d(n_numeric, 0.9)  # expect: BN206
        layers, prev = [], n_numeric + emb_dim * len(cat_cardinalities)
        for h in hidden:
            layers += [nn.Linear(prev, h, bias=False), GhostBatchNorm1d(h, vbs), nn.ReLU(),
                       nn.Dropout(0.1)]
            prev = h
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(prev, 1)

    def forward(self, x_num, x_cat):
        embs = [emb(x_cat[:, i]) for i, emb in enumerate(self.embeddings)]
        h = torch.cat([self.num_bn(x_num)] + embs, dim=1)
        return self.out(self.mlp(h)).squeeze(1)


def load_table(path, numeric_cols, cat_cols, cat_maps=None):
    df = pd.read_csv(path)
    if cat_maps is None:
        cat_maps = {c: {v: i + 1 for i, v in enumerate(sorted(df[c].astype(str).unique()))}
                    for c in cat_cols}
    x_num = torch.tensor(df[numeric_cols].fillna(0).values, dtype=torch.float32)
    x_cat = torch.tensor(np.stack([df[c].astype(str).map(cat_maps[c]).fillna(0).astype(int).values
                                   for c in cat_cols], 1), dtype=torch.long)
    y = torch.tensor(df["churned"].values, dtype=torch.float32)
    return TensorDataset(x_num, x_cat, y), cat_maps


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    scores, labels = [], []
    for x_num, x_cat, y in loader:
        scores.append(torch.sigmoid(model(x_num.to(device), x_cat.to(device))).cpu())
        labels.append(y)
    return roc_auc_score(torch.cat(labels).numpy(), torch.cat(scores).numpy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="data/churn_train.csv")
    ap.add_argument("--valid", default="data/churn_valid.csv")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=4096)
    args = ap.parse_args()
    numeric = ["tenure", "monthly_charges", "total_charges", "support_calls", "logins_30d"]
    categorical = ["contract", "payment_method", "region", "plan"]

    train_set, cat_maps = load_table(args.train, numeric, categorical)
    valid_set, _ = load_table(args.valid, numeric, categorical, cat_maps)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True)
    valid_loader = DataLoader(valid_set, batch_size=8192)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = ChurnNet(len(numeric), [len(cat_maps[c]) for c in categorical]).to(device)
    pos_weight = torch.tensor([(train_set.tensors[2] == 0).sum() / (train_set.tensors[2] == 1).sum()])
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)

    best_auc, patience = 0.0, 0
    model.train()
    for epoch in range(args.epochs):
        for x_num, x_cat, y in train_loader:
            logits = model(x_num.to(device), x_cat.to(device))
            loss = F.binary_cross_entropy_with_logits(logits, y.to(device),
                                                      pos_weight=pos_weight.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        auc = validate(model, valid_loader, device)  # expect: BN103
        print(f"epoch {epoch}: valid AUC {auc:.4f}")
        if auc > best_auc:
            best_auc, patience = auc, 0
            torch.save(model.state_dict(), "churn_ghostbn.pt")
        else:
            patience += 1
            if patience >= 5:
                break


if __name__ == "__main__":
    main()
