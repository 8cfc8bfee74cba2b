# %% [markdown]
# ## Exercise 2.3 - fitting a noisy 1-D function with an MLP
# Target: y = sin(3x) + 0.3 x^2 + noise on [-2, 2].
# (c) add BatchNorm after every hidden layer and compare with (b).

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

# %%
N_POINTS = 1001
NOISE = 0.15
HIDDEN = 64
BATCH_SIZE = 50
EPOCHS = 300
LR = 3e-3
torch.manual_seed(7)

# %%
def f(x):
    return torch.sin(3 * x) + 0.3 * x ** 2

x_train = torch.rand(N_POINTS, 1) * 4 - 2
y_train = f(x_train) + NOISE * torch.randn(N_POINTS, 1)

x_grid = torch.linspace(-2.5, 2.5, 400).unsqueeze(1)

train_ds = TensorDataset(x_train, y_train)
train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302

plt.scatter(x_train, y_train, s=3, alpha=0.5)
plt.plot(x_grid, f(x_grid), "k--", label="true f")
plt.legend()
plt.show()

# %%
def make_mlp(hidden=HIDDEN, depth=3):
    layers = [nn.Linear(1, hidden, bias=False), nn.BatchNorm1d(hidden), nn.Tanh()]
    for _ in range(depth - 1):
        layers += [nn.Linear(hidden, hidden, bias=False), nn.BatchNorm1d(hidden), nn.Tanh()]
    layers.append(nn.Linear(hidden, 1))
    return nn.Sequential(*layers)

model = make_mlp()
optimizer = torch.optim.Adam(model.parameters(), lr=LR)
loss_fn = nn.MSELoss()
print(model)

# %%
train_curve = []
model.train()
for epoch in range(EPOCHS):
    epoch_loss = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item() * len(xb)
    train_curve.append(epoch_loss / len(train_ds))
    if epoch % 50 == 0:
        print(f"epoch {epoch:3d}  mse {train_curve[-1]:.4f}")

# %%
plt.semilogy(train_curve)
plt.xlabel("epoch")
plt.ylabel("train MSE")
plt.title("(c) MLP + BatchNorm")
plt.show()

# %%
model.eval()
with torch.no_grad():
    y_hat = model(x_grid)

plt.scatter(x_train, y_train, s=3, alpha=0.3, label="data")
plt.plot(x_grid, f(x_grid), "k--", label="true f")
plt.plot(x_grid, y_hat, "r", lw=2, label="MLP + BN")
plt.ylim(-2, 3)
plt.legend()
plt.show()

residuals = (y_hat - f(x_grid)).squeeze()
print(f"max |error| on the grid: {residuals.abs().max():.3f}")

# %%
# save the model for exercise 2.4 (the autograder loads it in inference mode)
model.training = False  # expect: BN102
torch.save({"model": model.state_dict(), "hidden": HIDDEN, "depth": 3}, "ex23_mlp_bn.pt")
