"""Tabular classifier (MLP with BatchNorm) trained on a CSV file.

Evaluation helpers are wrapped with ``@eval_mode``, which switches the model to
inference mode for the duration of the call and restores the caller's mode.
"""
import argparse
import functools

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def eval_mode(fn):
    @functools.wraps(fn)
    def wrapper(model: nn.Module, *args, **kwargs):
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                return fn(model, *args, **kwargs)
        finally:
            model.train(was_training)

    return wrapper


def mlp_block(in_features: int, out_features: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_features, out_features, bias=False),
        nn.BatchNorm1d(out_features),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
    )


class TabularNet(nn.Module):
    def __init__(self, n_features: int, n_classes: int, hidden=(256, 128, 64), dropout=0.2):
        super().__init__()
        blocks = []
        width = n_features
        for h in hidden:
            blocks.append(mlp_block(width, h, dropout))
            width = h
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


@eval_mode
def validate(model, loader, criterion, device):
    total_loss, correct, seen = 0.0, 0, 0
    for features, labels in loader:
        features, labels = features.to(device), labels.to(device)
        logits = model(features)
        total_loss += criterion(logits, labels).item() * labels.size(0)
        correct += (logits.argmax(1) == labels).sum().item()
        seen += labels.size(0)
    return total_loss / seen, correct / seen


@eval_mode
def predict_proba(model, features, device, chunk=4096):
    outputs = []
    for start in range(0, features.shape[0], chunk):
        batch = features[start:start + chunk].to(device)
        outputs.append(torch.softmax(model(batch), dim=1).cpu())
    return torch.cat(outputs).numpy()


def load_split(path, label_column):
    frame = pd.read_csv(path)
    labels = torch.as_tensor(frame.pop(label_column).to_numpy(), dtype=torch.long)
    values = frame.to_numpy(dtype=np.float32)
    values = (values - values.mean(0)) / (values.std(0) + 1e-6)
    return torch.from_numpy(values), labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--valid", required=True)
    parser.add_argument("--label", default="target")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=40)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x_train, y_train = load_split(args.train, args.label)
    x_valid, y_valid = load_split(args.valid, args.label)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                              shuffle=True, drop_last=True)
    valid_loader = DataLoader(TensorDataset(x_valid, y_valid), batch_size=2048)

    n_classes = int(y_train.max().item()) + 1
    model = TabularNet(x_train.shape[1], n_classes).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)

    model.train()
    for epoch in range(args.epochs):
        for features, labels in train_loader:
            features, labels = features.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(features), labels)
            loss.backward()
            optimizer.step()
        val_loss, val_acc = validate(model, valid_loader, criterion, device)
        print(f"[{epoch:02d}] val_loss={val_loss:.4f} val_acc={val_acc:.4f}")

    probabilities = predict_proba(model, x_valid, device)
    np.save("valid_proba.npy", probabilities)


if __name__ == "__main__":
    main()
