"""Trainer for a 1D-CNN arrhythmia classifier (12-lead ECG, 5000 samples).

The last block was copied from the Keras prototype (BatchNormalization(momentum=0.99)).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

LEADS = 12


class ECGNet(nn.Module):
    def __init__(self, n_classes=9, width=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(LEADS, width, 15, stride=2, padding=7, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
            nn.Conv1d(width, width * 2, 9, stride=2, padding=4, bias=False),
            nn.BatchNorm1d(width * 2),
            nn.ReLU(inplace=True),
            nn.Conv1d(width * 2, width * 4, 9, stride=2, padding=4, bias=False),
            nn.BatchNorm1d(width * 4, momentum=0.99),  # expect: BN205
            nn.ReLU(inplace=True),
            nn.AdaptiveMaxPool1d(1),
            nn.Flatten(),
        )
        self.fc = nn.Linear(width * 4, n_classes)

    def forward(self, x):
        return self.fc(self.net(x))


def evaluate(model, loader, device):
    """Micro-averaged F1 over all labels in `loader`."""
    model.eval()
    tp = fp = fn = 0
    with torch.no_grad():
        for sig, label in loader:
            pred = torch.sigmoid(model(sig.to(device))) > 0.5
            label = label.to(device).bool()
            tp += (pred & label).sum().item()
            fp += (pred & ~label).sum().item()
            fn += (~pred & label).sum().item()
    return 2 * tp / max(2 * tp + fp + fn, 1)


def train(model, train_loader, val_loader, epochs, device="cuda"):
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
    model.train()
    history = []
    for epoch in range(epochs):
        for sig, label in train_loader:
            sig, label = sig.to(device), label.to(device).float()
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(sig), label)
            loss.backward()
            optimizer.step()
        f1 = evaluate(model, val_loader, device)  # expect: BN103
        history.append(f1)
        print(f"epoch {epoch}: F1 {f1:.4f}")
    return history
