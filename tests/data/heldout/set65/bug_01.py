# Tabular Playground - MLP baseline
# Exported from a Kaggle notebook (cells flattened into a script).

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

SEED = 42
torch.manual_seed(SEED)
np.random.seed(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# %% [code]
# stand-in for train.csv so the notebook runs offline
n_rows, n_feats = 6000, 20
X = np.random.randn(n_rows, n_feats).astype(np.float32)
w = np.random.randn(n_feats)
y = (X @ w + 0.5 * np.random.randn(n_rows) > 0).astype(np.int64)
df = pd.DataFrame(X, columns=[f"f_{i}" for i in range(n_feats)])
df["target"] = y
print(df.shape)
print(df["target"].value_counts())

# %% [code]
features = [c for c in df.columns if c != "target"]
X_tr, X_va, y_tr, y_va = train_test_split(
    df[features].values, df["target"].values, test_size=0.2, random_state=SEED
)
scaler = StandardScaler()
X_tr = scaler.fit_transform(X_tr)
X_va = scaler.transform(X_va)

train_ds = TensorDataset(torch.tensor(X_tr, dtype=torch.float32), torch.tensor(y_tr))
valid_ds = TensorDataset(torch.tensor(X_va, dtype=torch.float32), torch.tensor(y_va))
train_loader = DataLoader(train_ds, batch_size=256, shuffle=True)
valid_loader = DataLoader(valid_ds, batch_size=512, shuffle=False)

# %% [code]
model = nn.Sequential(
    nn.Linear(n_feats, 256),  # expect: BN204
    nn.BatchNorm1d(256),
    nn.SiLU(),
    nn.Dropout(0.25),
    nn.Linear(256, 128, bias=False),
    nn.BatchNorm1d(64),  # expect: BN201
    nn.SiLU(),
    nn.Dropout(0.25),
    nn.Linear(128, 2),
).to(device)

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-5)
EPOCHS = 15
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)

# %% [code]
best_auc = 0.0
history = []
for epoch in range(EPOCHS):
    model.train()
    running = 0.0
    for xb, yb in train_loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        logits = model(xb)
        loss = criterion(logits, yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
    scheduler.step()
    train_loss = running / len(train_ds)

    preds, targets = [], []
    with torch.no_grad():
        for xb, yb in valid_loader:
            xb = xb.to(device)
            prob = F.softmax(model(xb), dim=1)[:, 1]  # expect: BN101
            preds.append(prob.cpu().numpy())
            targets.append(yb.numpy())
    auc = roc_auc_score(np.concatenate(targets), np.concatenate(preds))
    history.append((train_loss, auc))
    print(f"epoch {epoch + 1:02d}  train_loss {train_loss:.4f}  valid_auc {auc:.4f}")

    if auc > best_auc:
        best_auc = auc
        torch.save(model.state_dict(), "mlp_best.pt")

# %% [code]
print("best AUC:", best_auc)
hist = pd.DataFrame(history, columns=["train_loss", "valid_auc"])
hist.to_csv("history.csv", index=False)
