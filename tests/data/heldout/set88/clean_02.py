"""
Fixed repro for "Expected more than 1 value per channel when training":
1001 % 100 == 1, so the last batch had a single row. Dropping the incomplete
last batch avoids the size-1 BatchNorm input.
"""
import torch
from torch import nn
from torch.utils.data import TensorDataset, DataLoader

torch.manual_seed(0)

N_SAMPLES = 1001
N_FEATURES = 20
BATCH_SIZE = 100

X = torch.randn(N_SAMPLES, N_FEATURES)
y = (X[:, 0] + 0.5 * X[:, 1] > 0).long()

dataset = TensorDataset(X, y)
loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)

model = nn.Sequential(
    nn.Linear(N_FEATURES, 64),
    nn.ReLU(),
    nn.BatchNorm1d(64),
    nn.Linear(64, 32),
    nn.ReLU(),
    nn.BatchNorm1d(32),
    nn.Linear(32, 2),
)

opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(5):
    model.train()
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item()
    print(f"epoch {epoch} loss {total / len(loader):.4f}")
