"""Regression of material properties from composition descriptors."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

NUM_DESCRIPTORS = 48
HIDDEN = 192
TRAIN_SIZE = 1025
TEST_SIZE = 129
BATCH_SIZE = 64
EPOCHS = 60
LR = 1e-3


class PropertyRegressor(nn.Module):
    def __init__(self, d_in=NUM_DESCRIPTORS, hidden=HIDDEN):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(d_in, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.GELU(),
        )
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(-1)


def make_split(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, NUM_DESCRIPTORS, generator=g)
    coef = torch.linspace(-2.0, 2.0, NUM_DESCRIPTORS)
    y = torch.sin(x @ coef) + 0.05 * torch.randn(n, generator=g)
    return x, y


def main():
    torch.manual_seed(0)
    x_train, y_train = make_split(TRAIN_SIZE, seed=0)
    x_test, y_test = make_split(TEST_SIZE, seed=1)
    y_mean, y_std = y_train.mean(), y_train.std()

    train_ds = TensorDataset(x_train, (y_train - y_mean) / y_std)
    test_ds = TensorDataset(x_test, (y_test - y_mean) / y_std)
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    test_loader = DataLoader(test_ds, batch_size=BATCH_SIZE)

    model = PropertyRegressor()
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, EPOCHS)
    loss_fn = nn.MSELoss()

    for epoch in range(EPOCHS):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        scheduler.step()

        if epoch % 10 == 9:
            model.eval()
            se, n = 0.0, 0
            with torch.no_grad():
                for xb, yb in test_loader:
                    pred = model(xb)
                    se += ((pred - yb) ** 2).sum().item()
                    n += yb.numel()
            rmse = (se / n) ** 0.5 * y_std.item()
            print(f"epoch {epoch + 1}: test RMSE {rmse:.4f}")

    torch.save({"model": model.state_dict(), "y_mean": y_mean, "y_std": y_std}, "regressor.pt")


if __name__ == "__main__":
    main()
