import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)

N_SAMPLES = 1281          # 1025 train + 256 val after the split below
N_FEATURES = 24
BATCH = 64


def make_data():
    X = torch.randn(N_SAMPLES, N_FEATURES)
    w = torch.randn(N_FEATURES)
    y = (X @ w + 0.3 * torch.randn(N_SAMPLES) > 0).long()
    return TensorDataset(X, y)


class TabularMLP(nn.Module):
    def __init__(self, d_in=N_FEATURES, d_hidden=128, n_out=2, p_drop=0.1):
        super().__init__()
        self.net = nn.Sequential(
            # activation sits between Linear and BN, so this Linear's bias is not cancelled
            nn.Linear(d_in, d_hidden),
            nn.ReLU(),
            nn.BatchNorm1d(d_hidden),
            nn.Dropout(p_drop),
            nn.Linear(d_hidden, d_hidden, bias=False),
            nn.BatchNorm1d(d_hidden),
            nn.ReLU(),
            nn.Dropout(p_drop),
            nn.Linear(d_hidden, n_out),
        )

    def forward(self, x):
        return self.net(x)


def main():
    full = make_data()
    train_ds, val_ds = random_split(full, [1025, 256])
    # 1025 = 16 * 64 + 1: drop the trailing single-sample batch
    train_loader = DataLoader(train_ds, batch_size=BATCH, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=BATCH)

    model = TabularMLP()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(25):
        model.train()
        tr_correct = 0
        for xb, yb in train_loader:
            logits = model(xb)
            loss = loss_fn(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tr_correct += (logits.argmax(1) == yb).sum().item()

        model.eval()
        with torch.no_grad():
            correct = sum((model(xb).argmax(1) == yb).sum().item() for xb, yb in val_loader)
        print(f"epoch {epoch:2d}  train acc {tr_correct / (16 * BATCH):.3f}  "
              f"val acc {correct / len(val_ds):.3f}")


if __name__ == "__main__":
    main()
