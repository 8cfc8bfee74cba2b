# %% [markdown]
# # Regression on a synthetic "house prices" table -- MLP + BatchNorm1d
#
# Blog post companion. Data is generated in the notebook so everything is
# reproducible. 1025 training rows with batch 64 would leave a last batch of a
# single row, which BatchNorm cannot normalise -> `drop_last=True`.

# %%
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import TensorDataset, DataLoader
import matplotlib.pyplot as plt
# %matplotlib inline

torch.manual_seed(7)
np.random.seed(7)

# %%
N_TRAIN, N_VAL, N_TEST = 1025, 257, 40
N_FEAT = 12
BATCH = 64

coef = torch.randn(N_FEAT)


def make_split(n):
    X = torch.randn(n, N_FEAT)
    y = X @ coef + 0.5 * torch.sin(3 * X[:, 0]) + 0.1 * torch.randn(n)
    return TensorDataset(X, y.unsqueeze(1))


train_ds, val_ds, test_ds = make_split(N_TRAIN), make_split(N_VAL), make_split(N_TEST)

train_dl = DataLoader(train_ds, batch_size=BATCH, shuffle=True, drop_last=True)
val_dl = DataLoader(val_ds, batch_size=BATCH)
test_dl = DataLoader(test_ds, batch_size=1)

# %%
model = nn.Sequential(
    nn.Linear(N_FEAT, 64, bias=False),
    nn.BatchNorm1d(64),
    nn.ReLU(),
    nn.Linear(64, 64, bias=False),
    nn.BatchNorm1d(64),
    nn.ReLU(),
    nn.Linear(64, 1),
)

# BatchNorm1d wants (N, C): quick check on a random batch of rows
print(nn.BatchNorm1d(N_FEAT)(torch.randn(8, N_FEAT)).shape)

opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
loss_fn = nn.MSELoss()

# %%
train_curve, val_curve = [], []
for epoch in range(60):
    model.train()
    tl = 0.0
    for xb, yb in train_dl:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tl += loss.item()
    train_curve.append(tl / len(train_dl))

    model.eval()
    with torch.no_grad():
        vl = sum(loss_fn(model(xb), yb).item() * len(xb) for xb, yb in val_dl) / N_VAL
    val_curve.append(vl)
    if epoch % 10 == 0:
        print(f"{epoch:3d}  train {train_curve[-1]:.4f}  val {vl:.4f}")

# %%
plt.semilogy(train_curve, label="train")
plt.semilogy(val_curve, label="val")
plt.legend()
plt.show()

# %% [markdown]
# ## Test rows, one at a time (like the API will see them)

# %%
errors = []
with torch.no_grad():
    for xb, yb in test_dl:
        errors.append((model(xb) - yb).abs().item())
print(f"test MAE: {np.mean(errors):.4f}")
