"""
Week 3 exercise: fit y = sin(x) + noise with a small MLP.

Part (b): add BatchNorm1d after every hidden Linear layer and compare the
learning curves with part (a).  Plot the fit at the end.
"""
import math

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import TensorDataset, DataLoader

torch.manual_seed(42)

# ---------------------------------------------------------------- data
N_POINTS = 1001          # grid from -pi to pi, step 2*pi/1000
BATCH_SIZE = 100
EPOCHS = 300
LR = 1e-2

x = torch.linspace(-math.pi, math.pi, N_POINTS).unsqueeze(1)
y = torch.sin(x) + 0.1 * torch.randn_like(x)

train_ds = TensorDataset(x, y)
train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302

x_test = torch.linspace(-math.pi, math.pi, 200).unsqueeze(1)
y_test = torch.sin(x_test)


# ---------------------------------------------------------------- model
def mlp(hidden=64, depth=3):
    layers = [nn.Linear(1, hidden, bias=False), nn.BatchNorm1d(hidden), nn.Tanh()]
    for _ in range(depth - 1):
        layers += [nn.Linear(hidden, hidden, bias=False), nn.BatchNorm1d(hidden), nn.Tanh()]
    layers.append(nn.Linear(hidden, 1))
    return nn.Sequential(*layers)


model = mlp()
opt = torch.optim.Adam(model.parameters(), lr=LR)
loss_fn = nn.MSELoss()

# ---------------------------------------------------------------- training
history = []
for epoch in range(EPOCHS):
    model.train()
    running = 0.0
    for xb, yb in train_loader:
        pred = model(xb)
        loss = loss_fn(pred, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running += loss.item() * xb.size(0)
    history.append(running / len(train_ds))
    if epoch % 50 == 0:
        print(f"epoch {epoch:3d}  mse {history[-1]:.5f}")

# ---------------------------------------------------------------- plot
model.training = False  # expect: BN102
with torch.no_grad():
    y_hat = model(x_test)  # expect: BN101
test_mse = loss_fn(y_hat, y_test).item()
print(f"test mse: {test_mse:.5f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.plot(history)
ax1.set_yscale("log")
ax1.set_title("training loss")
ax2.scatter(x.squeeze(), y.squeeze(), s=2, alpha=0.3, label="data")
ax2.plot(x_test.squeeze(), y_hat.squeeze(), "r", label="MLP + BN")
ax2.legend()
plt.tight_layout()
plt.savefig("week3_partb.png")
