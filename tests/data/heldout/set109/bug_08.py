# Porting a small Keras MLP to PyTorch: validation loss diverges from the
# Keras run after the first epoch. Weights are initialised identically.
#
# Keras original:
#   Dense(256, use_bias=False) -> BatchNormalization(momentum=0.99, epsilon=1e-3) -> ReLU
#   Dense(128, use_bias=False) -> BatchNormalization(momentum=0.99) -> ReLU
#   Dense(3)
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
np.random.seed(0)


class PortedNet(nn.Module):
    def __init__(self, in_dim=40, n_out=3):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, 256, bias=False)
        self.bn1 = nn.BatchNorm1d(256, eps=1e-3, momentum=0.99)  # expect: BN205
        self.fc2 = nn.Linear(256, 128, bias=False)
        self.bn2 = nn.BatchNorm1d(128, 0.99)  # expect: BN206
        self.out = nn.Linear(128, n_out)

    def forward(self, x):
        x = torch.relu(self.bn1(self.fc1(x)))
        x = torch.relu(self.bn2(self.fc2(x)))
        return self.out(x)


X = np.random.randn(1024, 40).astype(np.float32)
Y = np.random.randint(0, 3, size=1024)
Xv = torch.from_numpy(np.random.randn(256, 40).astype(np.float32))
Yv = torch.from_numpy(np.random.randint(0, 3, size=256))

model = PortedNet()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(3):
    model.train()
    perm = np.random.permutation(1024)
    for i in range(0, 1024, 64):
        idx = perm[i:i + 64]
        xb, yb = torch.from_numpy(X[idx]), torch.from_numpy(Y[idx])
        loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        val_loss = nn.functional.cross_entropy(model(Xv), Yv).item()
    print(f"epoch {epoch}: val_loss={val_loss:.4f}")  # keras: 1.09, 1.07, 1.05
