# %% [markdown]
# ## Exercise 2.5 - normalisation layers and tiny batches
# (a) tiny batches: use GroupNorm / LayerNorm, which do not depend on the batch.
# (b) BatchNorm MLP on the same 1001 points: drop the last (size-1) batch.
# (c) BatchNorm without affine parameters after a biased Linear layer.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

N_POINTS = 1001
TINY_BATCH = 4
BATCH_SIZE = 50
EPOCHS = 200
torch.manual_seed(3)

# %%
x = torch.rand(N_POINTS, 1) * 4 - 2
y = torch.sin(3 * x) + 0.3 * x ** 2 + 0.15 * torch.randn(N_POINTS, 1)
ds = TensorDataset(x, y)
x_grid = torch.linspace(-2, 2, 300).unsqueeze(1)

# %%
class NoisyMLP(nn.Module):
    """Part (a): LayerNorm/GroupNorm only - fine with batch size 4 (or 1)."""

    def __init__(self, hidden=64, noise=0.05):
        super().__init__()
        self.fc1 = nn.Linear(1, hidden)
        self.gn = nn.GroupNorm(8, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.ln = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, 1)
        self.noise = noise

    def forward(self, x):
        h = torch.tanh(self.gn(self.fc1(x)))
        if self.training:                       # input-noise regulariser during training only
            h = h + self.noise * torch.randn_like(h)
        return self.out(torch.tanh(self.ln(self.fc2(h))))


def fit(model, loader, epochs=EPOCHS, lr=3e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    curve = []
    for _ in range(epochs):
        model.train()
        tot = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            opt.step()
            tot += loss.item() * len(xb)
        curve.append(tot / len(loader.dataset))
    return curve


def predict(model):
    model.eval()
    with torch.no_grad():
        return model(x_grid)

# %% (a)
tiny_loader = DataLoader(ds, batch_size=TINY_BATCH, shuffle=True)
model_a = NoisyMLP()
curve_a = fit(model_a, tiny_loader, epochs=40)

# %% (b)
model_b = nn.Sequential(
    nn.Linear(1, 64, bias=False), nn.BatchNorm1d(64), nn.Tanh(),
    nn.Linear(64, 64, bias=False), nn.BatchNorm1d(64), nn.Tanh(),
    nn.Linear(64, 1),
)
bn_loader = DataLoader(ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)   # 1001 % 50 == 1
curve_b = fit(model_b, bn_loader)

# %% (c)
model_c = nn.Sequential(
    nn.Linear(1, 64), nn.BatchNorm1d(64, affine=False), nn.Tanh(),
    nn.Linear(64, 1),
)
curve_c = fit(model_c, bn_loader)

# %%
fig, ax = plt.subplots(1, 2, figsize=(11, 4))
for name, c in [("(a) GN/LN, bs=4", curve_a), ("(b) BN", curve_b), ("(c) BN, affine=False", curve_c)]:
    ax[0].semilogy(c, label=name)
ax[0].legend()
ax[0].set_title("train MSE")
ax[1].scatter(x, y, s=2, alpha=0.3, c="gray")
for name, m in [("a", model_a), ("b", model_b), ("c", model_c)]:
    ax[1].plot(x_grid, predict(m), label=name)
ax[1].legend()
plt.show()

# %%
# full-batch evaluation of the training loss, one sample at a time is fine in eval mode
eval_loader = DataLoader(ds, batch_size=1)
model_b.eval()
with torch.no_grad():
    mse_b = sum(nn.functional.mse_loss(model_b(xb), yb, reduction="sum").item() for xb, yb in eval_loader) / len(ds)
print(f"(b) final train MSE: {mse_b:.4f}")
