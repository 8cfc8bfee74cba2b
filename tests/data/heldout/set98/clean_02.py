"""Credit-risk MLP, ported from a tf.keras subclassed model.

In Keras the `training` argument of call() switches BatchNormalization and
Dropout. In PyTorch that is the module mode, so the port maps
`model(x, training=False)` to `model.train(False)` before the call.
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

N_FEATURES = 30
N_TRAIN = 4096
N_TEST = 1000
BATCH_SIZE = 128
EPOCHS = 25


class RiskNet(nn.Module):
    def __init__(self, in_features=N_FEATURES, hidden=128):
        super().__init__()
        # Keras: BatchNormalization(epsilon=1e-3); the second positional arg of
        # torch BatchNorm *is* eps, so 1e-3 is passed there on purpose.
        self.block1 = nn.Sequential(
            nn.Linear(in_features, hidden, bias=False),
            nn.BatchNorm1d(hidden, 1e-3),
            nn.ReLU(),
            nn.Dropout(0.2),
        )
        self.block2 = nn.Sequential(
            nn.Linear(hidden, hidden // 2, bias=False),
            nn.BatchNorm1d(hidden // 2, eps=1e-3, momentum=0.01),
            nn.ReLU(),
            nn.Dropout(0.2),
        )
        self.logit = nn.Linear(hidden // 2, 1)

    def forward(self, x):
        return self.logit(self.block2(self.block1(x))).squeeze(-1)


def predict_proba(model, x):
    # keras: model(x, training=False)
    model.train(False)
    with torch.no_grad():
        return torch.sigmoid(model(x))


def validate(model, loader, loss_fn):
    model.train(mode=False)
    loss_sum, hits, n = 0.0, 0, 0
    with torch.no_grad():
        for xb, yb in loader:
            logits = model(xb)
            loss_sum += loss_fn(logits, yb).item() * xb.size(0)
            hits += ((logits > 0).float() == yb).sum().item()
            n += xb.size(0)
    return loss_sum / n, hits / n


def main():
    g = torch.Generator().manual_seed(7)
    w = torch.randn(N_FEATURES, generator=g)
    x_train = torch.randn(N_TRAIN, N_FEATURES, generator=g)
    y_train = (x_train @ w + 0.5 * torch.randn(N_TRAIN, generator=g) > 0).float()
    x_test = torch.randn(N_TEST, N_FEATURES, generator=g)
    y_test = (x_test @ w > 0).float()

    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH_SIZE, shuffle=True)
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=500)

    model = RiskNet()
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(EPOCHS):
        model.train(True)
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        val_loss, val_acc = validate(model, test_loader, loss_fn)
        print(f"epoch {epoch:02d}: val_loss={val_loss:.4f} val_acc={val_acc:.3f}")

    scores = predict_proba(model, x_test[:10])
    print("first scores:", [round(s, 3) for s in scores.tolist()])
    torch.save(model.state_dict(), "risknet.pt")


if __name__ == "__main__":
    main()
