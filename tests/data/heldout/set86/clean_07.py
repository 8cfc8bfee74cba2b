"""5-fold cross-validated MLP for a small tabular regression task (concrete
compressive strength), with out-of-fold predictions saved for stacking.
"""
import functools
import os

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.model_selection import KFold
from torch.utils.data import DataLoader, TensorDataset

SETTINGS = {
    "csv": "data/concrete.csv",
    "target": "strength",
    "folds": 5,
    "batch_size": 32,
    "epochs": 300,
    "lr": 2e-3,
    "width": 96,
    "seed": 2024,
    "out_dir": "oof/concrete_mlp",
}

Norm = functools.partial(nn.BatchNorm1d, momentum=0.05)


def dense_block(in_f, out_f, norm_layer=Norm, p=0.05):
    return nn.Sequential(nn.Linear(in_f, out_f, bias=False), norm_layer(out_f), nn.SiLU(), nn.Dropout(p))


class ConcreteMLP(nn.Module):
    def __init__(self, n_in, width):
        super().__init__()
        self.blocks = nn.Sequential(
            dense_block(n_in, width),
            dense_block(width, width),
            dense_block(width, width // 2),
        )
        self.out = nn.Linear(width // 2, 1)

    def forward(self, x):
        return self.out(self.blocks(x)).squeeze(-1)


def run_validation(model, X, y):
    model.eval()
    with torch.no_grad():
        pred = model(X)
    return pred, torch.sqrt(((pred - y) ** 2).mean()).item()


def fit_fold(X_tr, y_tr, X_va, y_va, s):
    torch.manual_seed(s["seed"])
    model = ConcreteMLP(X_tr.shape[1], s["width"])
    loader = DataLoader(TensorDataset(X_tr, y_tr), batch_size=s["batch_size"], shuffle=True, drop_last=True)
    opt = torch.optim.AdamW(model.parameters(), lr=s["lr"], weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, s["epochs"])
    best_rmse, best_state, best_pred = float("inf"), None, None
    for epoch in range(s["epochs"]):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
        sched.step()
        pred, rmse = run_validation(model, X_va, y_va)
        if rmse < best_rmse:
            best_rmse, best_pred = rmse, pred.clone()
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    return best_state, best_pred, best_rmse


def main(s=SETTINGS):
    df = pd.read_csv(s["csv"])
    y_all = df.pop(s["target"]).to_numpy(np.float32)
    X_all = df.to_numpy(np.float32)
    os.makedirs(s["out_dir"], exist_ok=True)

    oof = np.zeros_like(y_all)
    scores = []
    kf = KFold(n_splits=s["folds"], shuffle=True, random_state=s["seed"])
    for fold, (tr_idx, va_idx) in enumerate(kf.split(X_all)):
        mu, sd = X_all[tr_idx].mean(0), X_all[tr_idx].std(0) + 1e-6
        X_tr = torch.from_numpy((X_all[tr_idx] - mu) / sd)
        X_va = torch.from_numpy((X_all[va_idx] - mu) / sd)
        y_tr, y_va = torch.from_numpy(y_all[tr_idx]), torch.from_numpy(y_all[va_idx])
        state, pred, rmse = fit_fold(X_tr, y_tr, X_va, y_va, s)
        oof[va_idx] = pred.numpy()
        scores.append(rmse)
        torch.save({"state": state, "mu": mu, "sd": sd}, os.path.join(s["out_dir"], f"fold{fold}.pt"))
        print(f"fold {fold}: RMSE {rmse:.3f}")

    print(f"CV RMSE {np.mean(scores):.3f} +/- {np.std(scores):.3f}")
    np.save(os.path.join(s["out_dir"], "oof.npy"), oof)


if __name__ == "__main__":
    main()
