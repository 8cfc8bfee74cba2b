"""Churn model: port of a tf.keras subclassed model (call(self, x, training=...)).

In the Keras version every layer received the `training` flag from call(),
so forward() below keeps the same signature and forwards it to dropout.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

N_FEATURES = 48
N_CLASSES = 3
N_TRAIN = 4097          # rows in the March export
N_VALID = 1024
BATCH_SIZE = 128
EPOCHS = 40


class ChurnNet(nn.Module):
    def __init__(self, in_features=N_FEATURES, hidden=256, num_classes=N_CLASSES, rate=0.3):
        super().__init__()
        # keras: Dense(256, use_bias=False) -> BatchNormalization(0.99) -> ReLU
        self.dense1 = nn.Linear(in_features, hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden, 0.99)  # expect: BN206
        self.dense2 = nn.Linear(hidden, hidden // 2, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden // 2, momentum=0.01)
        self.head = nn.Linear(hidden // 2, num_classes)
        self.rate = rate

    def forward(self, x, training=False):
        x = F.relu(self.bn1(self.dense1(x)))
        x = F.dropout(x, self.rate, training=training)
        x = F.relu(self.bn2(self.dense2(x)))
        x = F.dropout(x, self.rate, training=training)
        return self.head(x)


def make_synthetic(n, w, generator):
    x = torch.randn(n, N_FEATURES, generator=generator)
    y = (x @ w).argmax(dim=1)
    return x, y


def predict_proba(model, features):
    # keras: model(features, training=False)
    with torch.no_grad():
        logits = model(features, training=False)  # expect: BN101
    return logits.softmax(dim=-1)


def main():
    g = torch.Generator().manual_seed(0)
    x_train = torch.randn(N_TRAIN, N_FEATURES, generator=g)
    w_true = torch.randn(N_FEATURES, N_CLASSES, generator=g)
    y_train = (x_train @ w_true).argmax(dim=1)
    x_valid, y_valid = make_synthetic(N_VALID, w_true, g)

    mean, std = x_train.mean(0, keepdim=True), x_train.std(0, keepdim=True)
    x_train.sub_(mean).div_(std)
    x_valid.sub_(mean).div_(std)

    train_ds = TensorDataset(x_train, y_train)
    train_loader = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)  # expect: BN302

    model = ChurnNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4, weight_decay=1e-5)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(EPOCHS):
        model.train()
        total = 0.0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            logits = model(xb, training=True)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * xb.size(0)

        probs = predict_proba(model, x_valid)
        acc = (probs.argmax(dim=1) == y_valid).float().mean().item()
        print(f"epoch {epoch:02d}  train_loss={total / N_TRAIN:.4f}  val_acc={acc:.3f}")

    torch.save({"model": model.state_dict(), "mean": mean, "std": std}, "churn.pt")


if __name__ == "__main__":
    main()
