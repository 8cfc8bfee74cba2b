# Val accuracy is good after epoch 0 and then never improves again.
# python repro.py --epochs 10
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def make_model():
    return nn.Sequential(
        nn.Linear(20, 64, bias=False),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 64, bias=False),
        nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Linear(64, 2),
    )


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for xb, yb in loader:
        correct += (model(xb).argmax(1) == yb).sum().item()
        total += yb.numel()
    return correct / total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--bs", type=int, default=64)
    args = p.parse_args()

    torch.manual_seed(0)
    X = torch.randn(2048, 20)
    Y = (X[:, 0] * X[:, 1] > 0).long()
    train_dl = DataLoader(TensorDataset(X[:1536], Y[:1536]), batch_size=args.bs, shuffle=True)
    val_dl = DataLoader(TensorDataset(X[1536:], Y[1536:]), batch_size=256)

    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(args.epochs):
        model.train  # expect: BN102
        for xb, yb in train_dl:
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        acc = evaluate(model, val_dl)  # expect: BN103
        print(f"epoch {epoch}  loss {loss.item():.4f}  val_acc {acc:.3f}")


if __name__ == "__main__":
    main()
