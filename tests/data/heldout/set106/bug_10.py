"""Bidirectional GRU + BatchNorm head for 5-class heartbeat classification.

Quick experiment script: generates a synthetic MIT-BIH-like dataset so the
pipeline can be tested end to end without downloading PhysioNet.
"""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

SEQ_LEN = 187
N_INPUT = 1
HIDDEN = 128
N_CLASSES = 5
BATCH = 32
EPOCHS = 12

torch.manual_seed(1234)


class GRUClassifier(nn.Module):
    def __init__(self, n_in=N_INPUT, hidden=HIDDEN, n_classes=N_CLASSES):
        super().__init__()
        self.gru = nn.GRU(n_in, hidden, num_layers=2, batch_first=True, bidirectional=True, dropout=0.2)
        self.head = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(2 * hidden, hidden, bias=False)),
            ("bn1", nn.BatchNorm1d(hidden, hidden)),  # expect: BN206
            ("act", nn.ReLU()),
            ("drop", nn.Dropout(0.3)),
            ("fc2", nn.Linear(hidden, n_classes)),
        ]))

    def forward(self, x):
        _, h_n = self.gru(x)  # h_n: (num_layers * 2, batch, hidden)
        feat = torch.cat([h_n[-2], h_n[-1]], dim=1)  # (batch, 2 * hidden)
        return self.head(feat)


def synthetic_beats(n):
    t = torch.linspace(0, 1, SEQ_LEN)
    labels = torch.randint(0, N_CLASSES, (n,))
    centre = 0.3 + 0.08 * labels.float().unsqueeze(1)
    width = 0.02 + 0.01 * labels.float().unsqueeze(1)
    beats = torch.exp(-((t - centre) ** 2) / (2 * width ** 2)) + 0.05 * torch.randn(n, SEQ_LEN)
    return beats.unsqueeze(-1), labels  # (n, SEQ_LEN, 1)


def train_one_epoch(model, loader, optimizer):
    model.train()
    total = 0.0
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    return total / len(loader.dataset)


def test(model, loader):
    confusion = torch.zeros(N_CLASSES, N_CLASSES, dtype=torch.long)
    with torch.no_grad():
        for x, y in loader:
            pred = model(x).argmax(dim=1)  # expect: BN101
            for t, p in zip(y, pred):
                confusion[t, p] += 1
    acc = confusion.diag().sum().item() / confusion.sum().item()
    return acc, confusion


if __name__ == "__main__":
    x, y = synthetic_beats(10193)
    full = TensorDataset(x, y)
    train_set, test_set = random_split(full, [8193, 2000])
    train_loader = DataLoader(train_set, batch_size=BATCH, shuffle=True)  # expect: BN302
    test_loader = DataLoader(test_set, batch_size=256)

    model = GRUClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(EPOCHS):
        loss = train_one_epoch(model, train_loader, optimizer)
        print(f"epoch {epoch + 1}: loss {loss:.4f}")

    acc, cm = test(model, test_loader)
    print(f"test accuracy: {acc:.4f}")
    print(cm)
