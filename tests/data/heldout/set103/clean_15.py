"""
Exercise sheet 5 -- tabular classification with an MLP + BatchNorm1d.

The data is synthetic (a noisy linear teacher on 20 standard-normal
features) so the notebook runs without downloads. One `run_epoch` helper is
used for both training and validation: it switches the mode with
`model.train(training)`.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

N_SAMPLES, N_FEATURES, N_CLASSES = 500, 20, 3


def make_data(seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(N_SAMPLES, N_FEATURES, generator=g)
    W = torch.randn(N_FEATURES, N_CLASSES, generator=g)
    y = (X @ W + 0.5 * torch.randn(N_SAMPLES, N_CLASSES, generator=g)).argmax(1)
    return TensorDataset(X, y)


class TabularMLP(nn.Module):
    def __init__(self, n_in=N_FEATURES, hidden=64, n_out=N_CLASSES, p_drop=0.2):
        super().__init__()
        # standardise the raw features with batch statistics
        self.input_bn = nn.BatchNorm1d(n_in)
        self.fc1 = nn.Linear(n_in, hidden)
        self.bn1 = nn.BatchNorm1d(hidden, affine=False)   # fc1 keeps its bias: no affine shift in bn1
        self.fc2 = nn.Linear(hidden, hidden, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(p_drop)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x):
        x = self.input_bn(x)
        x = F.relu(self.bn1(self.fc1(x)))
        x = F.relu(self.bn2(self.fc2(x)))
        return self.out(self.drop(x))


def run_epoch(model, loader, optimizer=None):
    training = optimizer is not None
    model.train(training)
    total_loss, correct, n = 0.0, 0, 0
    with torch.set_grad_enabled(training):
        for xb, yb in loader:
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total_loss += loss.item() * len(xb)
            correct += (logits.argmax(1) == yb).sum().item()
            n += len(xb)
    return total_loss / n, correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--eval-only", action="store_true")
    parser.add_argument("--ckpt", default="tabular_mlp.pt")
    args = parser.parse_args()

    torch.manual_seed(0)
    train_ds, val_ds = random_split(make_data(), [400, 100])
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=50)

    model = TabularMLP()

    if args.eval_only:
        model.load_state_dict(torch.load(args.ckpt))
        val_loss, val_acc = run_epoch(model, val_loader)
        print(f"val loss {val_loss:.3f}  val acc {val_acc:.3f}  (training flag: {model.training})")
        return

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    best = 0.0
    for epoch in range(args.epochs):
        tr_loss, tr_acc = run_epoch(model, train_loader, optimizer)
        val_loss, val_acc = run_epoch(model, val_loader)
        if val_acc > best:
            best = val_acc
            torch.save(model.state_dict(), args.ckpt)
        if epoch % 10 == 0 or epoch == args.epochs - 1:
            print(f"epoch {epoch:3d}  train {tr_loss:.3f}/{tr_acc:.3f}  val {val_loss:.3f}/{val_acc:.3f}")

    # inspect the learned input standardisation (run_epoch left the model in eval mode)
    print("training flag:", model.training)
    print("input running mean:", model.input_bn.running_mean[:5])
    print("input running var: ", model.input_bn.running_var[:5])


if __name__ == "__main__":
    main()
