# A: "4097 = 64 * 64 + 1, so the last batch of every epoch has a single sample, and
# BatchNorm1d cannot compute a variance from one value in training mode. Pass
# drop_last=True to the *training* DataLoader (the validation loader can keep its
# odd last batch: in eval mode BN uses running stats). And PyTorch's momentum is
# 1 - TF's momentum, so 0.9 in TF is 0.1 here."

import random

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

SEED = 42
N_TRAIN = 4097
N_VAL = 1025
N_FEATURES = 20
BATCH_SIZE = 64
EPOCHS = 30
LR = 1e-3

random.seed(SEED)
np.random.seed(SEED)
torch.manual_seed(SEED)


class Classifier(nn.Module):
    def __init__(self, n_in, n_hidden=128):
        super().__init__()
        self.lin1 = nn.Linear(n_in, n_hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(n_hidden, momentum=0.1)
        self.lin2 = nn.Linear(n_hidden, 64, bias=False)
        self.bn2 = nn.BatchNorm1d(64)
        self.head = nn.Linear(64, 1)

    def forward(self, x):
        x = torch.relu(self.bn1(self.lin1(x)))
        x = torch.relu(self.bn2(self.lin2(x)))
        return self.head(x).squeeze(1)


X_train = torch.randn(N_TRAIN, N_FEATURES)
y_train = (X_train[:, 0] + 0.5 * X_train[:, 1] - X_train[:, 2] > 0).float()
X_val = torch.randn(N_VAL, N_FEATURES)
y_val = (X_val[:, 0] + 0.5 * X_val[:, 1] - X_val[:, 2] > 0).float()

train_ds = TensorDataset(X_train, y_train)
val_ds = TensorDataset(X_val, y_val)
train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
val_loader = DataLoader(val_ds, batch_size=BATCH_SIZE)

model = Classifier(N_FEATURES)
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=LR)

for epoch in range(EPOCHS):
    model.train()
    epoch_loss = 0.0
    for i, (xb, yb) in enumerate(train_loader):
        optimizer.zero_grad()
        logits = model(xb)
        loss = criterion(logits, yb)
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()

    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in val_loader:
            correct += ((model(xb) > 0).float() == yb).sum().item()
    print(f"epoch {epoch}: loss {epoch_loss / len(train_loader):.4f} val acc {correct / N_VAL:.3f}")
