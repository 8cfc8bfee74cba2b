"""Binary classifier for tabular sensor data (synthetic stand-in)."""
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

NUM_FEATURES = 32
HIDDEN = 256
NUM_CLASSES = 2
TRAIN_SIZE = 1025
VAL_SIZE = 256
BATCH_SIZE = 64
EPOCHS = 20
LR = 2e-3
SEED = 1234


class TabularMLP(nn.Module):
    def __init__(self, in_features=NUM_FEATURES, hidden=HIDDEN, num_classes=NUM_CLASSES):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden, bias=False),
            nn.BatchNorm1d(hidden, 0.9),  # expect: BN206
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(hidden, hidden // 2, bias=False),
            nn.BatchNorm1d(hidden // 2),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(hidden // 2, num_classes),
        )

    def forward(self, x):
        return self.net(x)


def synthesize(n, generator):
    x = torch.randn(n, NUM_FEATURES, generator=generator)
    w = torch.linspace(-1.0, 1.0, NUM_FEATURES)
    score = x @ w + 0.3 * torch.randn(n, generator=generator)
    y = (score > 0).long()
    return x, y


def standardize(train_x, *others):
    mean = train_x.mean(dim=0, keepdim=True)
    std = train_x.std(dim=0, keepdim=True).clamp_min(1e-6)
    return [(t - mean) / std for t in (train_x, *others)]


def run_epoch(model, loader, criterion, optimizer):
    model.train()
    total, count = 0.0, 0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.size(0)
        count += xb.size(0)
    return total / count


@torch.no_grad()
def validate(model, loader, criterion):
    model.eval()
    total, correct, count = 0.0, 0, 0
    for xb, yb in loader:
        logits = model(xb)
        total += criterion(logits, yb).item() * xb.size(0)
        correct += (logits.argmax(dim=1) == yb).sum().item()
        count += xb.size(0)
    return total / count, correct / count


def main():
    g = torch.Generator().manual_seed(SEED)
    x_train, y_train = synthesize(TRAIN_SIZE, g)
    x_val, y_val = synthesize(VAL_SIZE, g)
    x_train, x_val = standardize(x_train, x_val)

    train_ds = TensorDataset(x_train, y_train)
    val_ds = TensorDataset(x_val, y_val)
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302
    val_loader = DataLoader(val_ds, batch_size=BATCH_SIZE)

    model = TabularMLP()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-4)
    steps_per_epoch = math.ceil(TRAIN_SIZE / BATCH_SIZE)
    print(f"{steps_per_epoch} steps per epoch")

    best = math.inf
    for epoch in range(EPOCHS):
        train_loss = run_epoch(model, train_loader, criterion, optimizer)
        val_loss, val_acc = validate(model, val_loader, criterion)
        if val_loss < best:
            best = val_loss
            torch.save(model.state_dict(), "tabular_best.pt")
        print(f"[{epoch:02d}] train {train_loss:.4f}  val {val_loss:.4f}  acc {val_acc:.3f}")


if __name__ == "__main__":
    main()
