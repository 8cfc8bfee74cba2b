"""Training crashes at the very end of the first epoch

    ValueError: Expected more than 1 value per channel when training,
    got input size torch.Size([1, 128])

It runs fine for 16 iterations and then fails on the 17th, every time. Minimal
repro with random data below; my real data is a CSV with exactly the same
number of rows and columns. Shuffling or not makes no difference.

EDIT: solved - drop_last=True on the training loader.
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

N_TRAIN = 1025
N_VAL = 256
N_FEATURES = 20
N_CLASSES = 3
BATCH_SIZE = 64
EPOCHS = 10


class TabularMLP(nn.Module):
    def __init__(self, in_features=N_FEATURES, hidden=128, num_classes=N_CLASSES):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.net(x)


def evaluate(model, loader):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for xb, yb in loader:
            correct += (model(xb).argmax(dim=1) == yb).sum().item()
            total += yb.numel()
    return correct / total


def main():
    torch.manual_seed(0)
    X_train = torch.randn(N_TRAIN, N_FEATURES)
    y_train = torch.randint(0, N_CLASSES, (N_TRAIN,))
    X_val = torch.randn(N_VAL, N_FEATURES)
    y_val = torch.randint(0, N_CLASSES, (N_VAL,))

    train_ds = TensorDataset(X_train, y_train)
    val_ds = TensorDataset(X_val, y_val)
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=BATCH_SIZE, shuffle=False)

    model = TabularMLP()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(EPOCHS):
        model.train()
        epoch_loss = 0.0
        for i, (xb, yb) in enumerate(train_loader):
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        print(f"epoch {epoch}: loss {epoch_loss / (i + 1):.4f}  val acc {evaluate(model, val_loader):.3f}")


if __name__ == "__main__":
    main()
