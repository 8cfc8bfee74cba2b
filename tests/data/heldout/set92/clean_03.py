# Tabular Playground - regression - MLP, 5 folds x 3 seeds
# notebook export (cells flattened), see discussion thread for the CV scheme

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.model_selection import KFold
from torch.utils.data import DataLoader, TensorDataset


@dataclass
class Config:
    folds: int = 5
    seeds: tuple = (0, 1, 2)
    epochs: int = 30
    batch_size: int = 256
    lr: float = 2e-3
    hidden: int = 384
    bn_momentum: float = 0.05
    path: str = "/kaggle/input/tabular-playground-series-jan-2022"


cfg = Config()
device = "cuda" if torch.cuda.is_available() else "cpu"

train = pd.read_csv(f"{cfg.path}/train.csv")
test = pd.read_csv(f"{cfg.path}/test.csv")
features = [c for c in train.columns if c.startswith("f_")]
y_all = np.log1p(train["target"].values).astype(np.float32)
mu, sigma = train[features].mean(), train[features].std()
X_all = ((train[features] - mu) / sigma).values.astype(np.float32)
X_test = ((test[features] - mu) / sigma).values.astype(np.float32)


def dense_bn(n_in, n_out, p=0.1):
    # Linear without bias: BN's beta plays that role
    return nn.Sequential(
        nn.Linear(n_in, n_out, bias=False),
        nn.BatchNorm1d(n_out, momentum=cfg.bn_momentum),
        nn.SiLU(),
        nn.Dropout(p),
    )


class Regressor(nn.Module):
    def __init__(self, n_in, hidden=cfg.hidden):
        super().__init__()
        self.input_norm = nn.BatchNorm1d(n_in)
        self.body = nn.Sequential(dense_bn(n_in, hidden), dense_bn(hidden, hidden), dense_bn(hidden, hidden // 2))
        self.skip = nn.Linear(n_in, hidden // 2)       # linear shortcut, no BN after it
        self.out = nn.Linear(hidden // 2, 1)

    def forward(self, x):
        x = self.input_norm(x)
        return self.out(self.body(x) + self.skip(x)).squeeze(-1)


def train_one_epoch(model, loader, opt, sched):
    model.train()
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
        sched.step()


def predict(model, X, bs=4096):
    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(X), bs):
            out.append(model(torch.from_numpy(X[i:i + bs]).to(device)).cpu().numpy())
    return np.concatenate(out)


def rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


oof = np.zeros(len(X_all), dtype=np.float32)
test_pred = np.zeros(len(X_test), dtype=np.float32)
scores = []

for seed in cfg.seeds:
    kf = KFold(cfg.folds, shuffle=True, random_state=seed)
    for fold, (tr, va) in enumerate(kf.split(X_all)):
        torch.manual_seed(seed * 100 + fold)
        ds = TensorDataset(torch.from_numpy(X_all[tr]), torch.from_numpy(y_all[tr]))
        loader = DataLoader(ds, batch_size=cfg.batch_size, shuffle=True, drop_last=True)
        model = Regressor(len(features)).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * len(loader))

        best, best_state = np.inf, None
        for epoch in range(cfg.epochs):
            train_one_epoch(model, loader, opt, sched)
            score = rmse(predict(model, X_all[va]), y_all[va])
            if score < best:
                best = score
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
        model.load_state_dict(best_state)
        oof[va] += predict(model, X_all[va]) / len(cfg.seeds)
        test_pred += predict(model, X_test) / (len(cfg.seeds) * cfg.folds)
        scores.append(best)
        print(f"seed {seed} fold {fold}: rmse {best:.5f}")

print(f"mean fold rmse {np.mean(scores):.5f} | oof rmse {rmse(oof, y_all):.5f}")

fig, ax = plt.subplots(1, 2, figsize=(10, 4))
ax[0].hist(oof - y_all, bins=100)
ax[0].set_title("OOF residuals")
ax[1].scatter(y_all, oof, s=1, alpha=0.2)
ax[1].set_xlabel("target")
ax[1].set_ylabel("oof")
plt.show()

pd.DataFrame({"row_id": test["row_id"], "target": np.expm1(test_pred)}).to_csv("submission.csv", index=False)
