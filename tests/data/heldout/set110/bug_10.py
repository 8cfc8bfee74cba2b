#!/usr/bin/env python
# coding: utf-8

# # TPS Nov 2021 -- PyTorch MLP baseline (5-fold)
#
# Port of my Keras notebook. Same architecture: Dense -> BN -> SiLU -> Dropout x3.

# In[1]:


import gc
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import TensorDataset, DataLoader
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import roc_auc_score


# In[2]:


train = pd.read_csv("/kaggle/input/tabular-playground-series-nov-2021/train.csv")
test = pd.read_csv("/kaggle/input/tabular-playground-series-nov-2021/test.csv")
FEATURES = [c for c in train.columns if c.startswith("f")]
print(train.shape, test.shape, len(FEATURES))


# In[3]:


scaler = StandardScaler()
X = scaler.fit_transform(train[FEATURES]).astype(np.float32)
X_test = scaler.transform(test[FEATURES]).astype(np.float32)
y = train["target"].values.astype(np.float32)


# In[4]:


CFG = {
    "epochs": 20,
    "batch_size": 2048,
    "lr": 1e-3,
    "folds": 5,
    "dropout": 0.2,
}
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


# In[5]:


def build_model(n_in, p=CFG["dropout"]):
    # keras: Dense(512) -> BatchNormalization() -> swish -> Dropout
    return nn.Sequential(
        nn.Linear(n_in, 512),  # expect: BN204
        nn.BatchNorm1d(512),
        nn.SiLU(),
        nn.Dropout(p),
        nn.Linear(512, 256, bias=False),
        nn.BatchNorm1d(256, 256),  # expect: BN206
        nn.SiLU(),
        nn.Dropout(p),
        nn.Linear(256, 128, bias=False),
        nn.BatchNorm1d(128, momentum=0.99),  # expect: BN205
        nn.SiLU(),
        nn.Linear(128, 1),
    )


build_model(len(FEATURES))


# In[6]:


def predict_proba(model, X_arr, bs=8192):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(X_arr), bs):
            xb = torch.from_numpy(X_arr[i:i + bs]).to(DEVICE)
            out.append(torch.sigmoid(model(xb)).squeeze(1).cpu().numpy())
    return np.concatenate(out)


# In[7]:


oof = np.zeros(len(X))
test_pred = np.zeros(len(X_test))
skf = StratifiedKFold(n_splits=CFG["folds"], shuffle=True, random_state=42)

for fold, (tr_idx, va_idx) in enumerate(skf.split(X, y)):
    model = build_model(len(FEATURES)).to(DEVICE)
    opt = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=CFG["epochs"])
    loss_fn = nn.BCEWithLogitsLoss()
    ds = TensorDataset(torch.from_numpy(X[tr_idx]), torch.from_numpy(y[tr_idx]))
    dl = DataLoader(ds, batch_size=CFG["batch_size"], shuffle=True, drop_last=True)

    for epoch in range(CFG["epochs"]):
        model.train()
        for xb, yb in dl:
            xb, yb = xb.to(DEVICE), yb.to(DEVICE)
            loss = loss_fn(model(xb).squeeze(1), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()

    oof[va_idx] = predict_proba(model, X[va_idx])
    test_pred += predict_proba(model, X_test) / CFG["folds"]
    print(f"fold {fold}: AUC {roc_auc_score(y[va_idx], oof[va_idx]):.5f}")
    del model, opt, ds, dl
    gc.collect()

print("OOF AUC:", roc_auc_score(y, oof))


# In[8]:


sub = pd.read_csv("/kaggle/input/tabular-playground-series-nov-2021/sample_submission.csv")
sub["target"] = test_pred
sub.to_csv("submission.csv", index=False)
sub.head()
