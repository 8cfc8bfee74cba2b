# %% [markdown]
# # Does BatchNorm help an MLP? A toy experiment
#
# Blog-post companion notebook. We generate a synthetic binary-classification
# problem, train an MLP with BatchNorm, then fine-tune it with a smaller LR.

# %%
import math
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import TensorDataset, DataLoader
import matplotlib.pyplot as plt
# %matplotlib inline

torch.manual_seed(0)

# %%
N_FEATURES = 32
N_TRAIN = 1537
N_VAL = 512
BATCH_SIZE = 64
HIDDEN = 128

w_true = torch.randn(N_FEATURES)

X_train = torch.randn(N_TRAIN, N_FEATURES)
y_train = ((X_train @ w_true + 0.3 * torch.randn(N_TRAIN)) > 0).long()
X_val = torch.randn(N_VAL, N_FEATURES)
y_val = ((X_val @ w_true) > 0).long()

train_ds = TensorDataset(X_train, y_train)
val_ds = TensorDataset(X_val, y_val)
print(len(train_ds), len(val_ds))

# %%
train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
val_loader = DataLoader(val_ds, batch_size=256)


# %%
class MLP(nn.Module):
    def __init__(self, d_in=N_FEATURES, hidden=HIDDEN, n_out=2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_out),
        )

    def forward(self, x):
        return self.net(x)


model = MLP()
loss_fn = nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


# %%
@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = 0
    for xb, yb in loader:
        correct += (model(xb).argmax(1) == yb).sum().item()
    return correct / len(loader.dataset)


# %%
train_losses, val_accs = [], []
for epoch in range(20):
    model.train()
    epoch_loss = 0.0
    for xb, yb in train_loader:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        epoch_loss += loss.item() * len(xb)
    train_losses.append(epoch_loss / len(train_ds))
    val_accs.append(evaluate(model, val_loader))
    print(f"epoch {epoch:2d}  loss {train_losses[-1]:.4f}  val acc {val_accs[-1]:.3f}")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.plot(train_losses)
ax1.set_title("train loss")
ax2.plot(val_accs)
ax2.set_title("val accuracy")
plt.show()

# %% [markdown]
# ## Fine-tune with a 10x smaller learning rate
# Re-use the same model and optimizer, just drop the LR.

# %%
for group in opt.param_groups:
    group["lr"] = 0.01

for epoch in range(10):
    for xb, yb in train_loader:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc = evaluate(model, val_loader)  # expect: BN103
    val_accs.append(acc)
    print(f"fine-tune epoch {epoch}: val acc {acc:.3f}")

# %%
print("best val acc:", max(val_accs))
