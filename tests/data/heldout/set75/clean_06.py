# Lab 5 (fixed version after the TA's feedback)
# toy regression: y = sin(x0) + x1^2 + noise, 1025 training points
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import TensorDataset, DataLoader
import matplotlib.pyplot as plt

torch.manual_seed(1)
N_TRAIN = 1025
N_VAL = 200
BATCH = 32


def make_data(n):
    X = torch.rand(n, 8) * 4 - 2
    y = torch.sin(X[:, 0]) + X[:, 1] ** 2 + 0.1 * torch.randn(n)
    return X, y.unsqueeze(1)


X_tr, y_tr = make_data(N_TRAIN)
X_va, y_va = make_data(N_VAL)
train_loader = DataLoader(TensorDataset(X_tr, y_tr), batch_size=BATCH, shuffle=True, drop_last=True)
# batch size 1 here on purpose: I want the error of every single point
val_loader = DataLoader(TensorDataset(X_va, y_va), batch_size=1, shuffle=False)


def make_model(width=48):
    return nn.Sequential(
        nn.Linear(8, width, bias=False),
        nn.BatchNorm1d(width),
        nn.ReLU(),
        nn.Linear(width, width, bias=False),
        nn.BatchNorm1d(width),
        nn.ReLU(),
        nn.Linear(width, 1),
    )


model = make_model()
optim = torch.optim.Adam(model.parameters(), lr=3e-3)
mse = nn.MSELoss()

tr_curve, va_curve = [], []
for epoch in range(50):
    model.train()
    run = 0.0
    for xb, yb in train_loader:
        l = mse(model(xb), yb)
        optim.zero_grad()
        l.backward()
        optim.step()
        run += l.item()
    tr_curve.append(run / len(train_loader))

    model.eval()
    errs = []
    with torch.no_grad():
        for xb, yb in val_loader:
            errs.append((model(xb) - yb).abs().item())
    va_curve.append(float(np.mean(errs)))
    if epoch % 10 == 9:
        print(f"epoch {epoch+1} train mse {tr_curve[-1]:.4f} val mae {va_curve[-1]:.4f}")

plt.plot(tr_curve, label='train mse')
plt.plot(va_curve, label='val mae')
plt.yscale('log')
plt.legend()
plt.show()

# worst points (errs is from the last epoch)
errs = np.array(errs)
worst = errs.argsort()[-5:]
print('worst val points:', worst, errs[worst])

# one single point (model is still in eval mode)
x_one = torch.tensor([[0.5, 1.0, 0, 0, 0, 0, 0, 0]])
print('pred', model(x_one).item(), 'true approx', np.sin(0.5) + 1.0)

plt.scatter(X_va[:, 1].numpy(), y_va.squeeze().numpy(), s=4, label='true')
with torch.no_grad():
    plt.scatter(X_va[:, 1].numpy(), model(X_va).squeeze().numpy(), s=4, label='pred')
plt.legend()
plt.show()
