# Lab 5: binary classification on a toy dataset + decision boundary
# (student version)
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import TensorDataset, DataLoader
import matplotlib.pyplot as plt

torch.manual_seed(0)

N_SAMPLES = 1025
BATCH_SIZE = 32
EPOCHS = 30

# two noisy circles, 2 real features + 18 noise features
r = torch.cat([torch.ones(N_SAMPLES // 2), 2 * torch.ones(N_SAMPLES - N_SAMPLES // 2)])
theta = torch.rand(N_SAMPLES) * 2 * np.pi
X = torch.randn(N_SAMPLES, 20) * 0.3
X[:, 0] = r * torch.cos(theta) + 0.1 * torch.randn(N_SAMPLES)
X[:, 1] = r * torch.sin(theta) + 0.1 * torch.randn(N_SAMPLES)
y = (r > 1.5).long()

dataset = TensorDataset(X, y)
loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302

X_test = torch.randn(400, 20) * 0.3
r_t = torch.cat([torch.ones(200), 2 * torch.ones(200)])
th_t = torch.rand(400) * 2 * np.pi
X_test[:, 0] = r_t * torch.cos(th_t)
X_test[:, 1] = r_t * torch.sin(th_t)
y_test = (r_t > 1.5).long()


class Classifier(nn.Module):
    # I like to write forward first so I remember what I need
    def forward(self, x):
        x = F.relu(self.bn1(self.fc1(x)))
        x = F.relu(self.bn2(self.fc2(x)))
        return self.fc3(x)

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 64, bias=False)
        self.bn1 = nn.BatchNorm2d(64)  # expect: BN202
        self.fc2 = nn.Linear(64, 64, bias=False)
        self.bn2 = nn.BatchNorm1d(64)
        self.fc3 = nn.Linear(64, 2)


def evaluate(model, X, y):
    with torch.no_grad():
        out = model(X)  # expect: BN101
        acc = (out.argmax(1) == y).float().mean()
    return acc.item()


model = Classifier()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
loss_hist, acc_hist = [], []

for epoch in range(EPOCHS):
    model.train()
    tot = 0.0
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tot += loss.item()
    loss_hist.append(tot / len(loader))
    acc_hist.append(evaluate(model, X_test, y_test))
    if epoch % 5 == 0:
        print(epoch, loss_hist[-1], acc_hist[-1])

print("final test acc:", acc_hist[-1])

plt.subplot(1, 2, 1)
plt.plot(loss_hist)
plt.title("loss")
plt.subplot(1, 2, 2)
plt.plot(acc_hist)
plt.title("test acc")
plt.show()

# decision boundary (other 18 features set to 0)
model.eval()
xx, yy = np.meshgrid(np.linspace(-3, 3, 200), np.linspace(-3, 3, 200))
grid = torch.zeros(200 * 200, 20)
grid[:, 0] = torch.tensor(xx.ravel(), dtype=torch.float32)
grid[:, 1] = torch.tensor(yy.ravel(), dtype=torch.float32)
with torch.no_grad():
    zz = model(grid).argmax(1).reshape(200, 200).numpy()
plt.contourf(xx, yy, zz, alpha=0.3)
plt.scatter(X_test[:, 0], X_test[:, 1], c=y_test, s=5)
plt.show()
