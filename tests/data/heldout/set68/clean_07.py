"""K-fold cross-validation for an ECG beat classifier with mixed precision
and per-fold early stopping. Out-of-fold predictions are produced one
recording at a time (recordings have different lengths).
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.model_selection import KFold
from torch.utils.data import DataLoader, Subset, TensorDataset

N_BEATS = 1281
BATCH = 40
N_CLASSES = 5


class BeatNet(nn.Module):
    def __init__(self, n_classes=N_CLASSES):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(1, 32, 9, padding=4, bias=False), nn.BatchNorm1d(32), nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(32, 64, 9, padding=4, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(64, 128, 9, padding=4, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
        )
        self.fc = nn.Linear(128, n_classes)

    def forward(self, x):
        return self.fc(self.conv(x).amax(dim=-1))


def train_one_epoch(model, loader, optimizer, scaler, device):
    model.train()
    total = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=device.type == "cuda"):
            logits = model(x)
            loss = F.cross_entropy(logits, y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        total += loss.item()
    return total / len(loader)


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    losses, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=device.type == "cuda"):
            logits = model(x)
        losses += F.cross_entropy(logits.float(), y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
        n += y.numel()
    return losses / n, correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--patience", type=int, default=6)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rng = np.random.default_rng(7)
    beats = torch.from_numpy(rng.standard_normal((N_BEATS, 1, 256)).astype(np.float32))
    labels = torch.from_numpy(rng.integers(0, N_CLASSES, N_BEATS))
    dataset = TensorDataset(beats, labels)

    oof = torch.zeros(N_BEATS, N_CLASSES)
    for fold, (tr_idx, va_idx) in enumerate(KFold(args.folds, shuffle=True, random_state=0).split(np.arange(N_BEATS))):
        train_loader = DataLoader(Subset(dataset, tr_idx), batch_size=BATCH, shuffle=True, drop_last=True)
        val_loader = DataLoader(Subset(dataset, va_idx), batch_size=256)
        model = BeatNet().to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        scaler = torch.cuda.amp.GradScaler(enabled=device.type == "cuda")

        best_loss, best_state, bad = float("inf"), None, 0
        for epoch in range(args.epochs):
            tr_loss = train_one_epoch(model, train_loader, optimizer, scaler, device)
            va_loss, va_acc = validate(model, val_loader, device)
            if va_loss < best_loss:
                best_loss, bad = va_loss, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad += 1
            if bad >= args.patience:
                break
        print(f"fold {fold}: stopped at epoch {epoch}, best val loss {best_loss:.4f}")

        model.load_state_dict(best_state)
        model.eval()
        one_by_one = DataLoader(Subset(dataset, va_idx), batch_size=1)
        with torch.no_grad():
            for i, (x, _) in zip(va_idx, one_by_one):
                oof[i] = F.softmax(model(x.to(device)), dim=1).squeeze(0).cpu()

    oof_acc = (oof.argmax(1) == labels).float().mean().item()
    print(f"out-of-fold accuracy: {oof_acc:.4f}")

    full_loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, drop_last=True)
    final = BeatNet().to(device)
    optimizer = torch.optim.Adam(final.parameters(), lr=1e-3)
    scaler = torch.cuda.amp.GradScaler(enabled=device.type == "cuda")
    for epoch in range(20):
        train_one_epoch(final, full_loader, optimizer, scaler, device)
    torch.save(final.state_dict(), "beatnet_full.pt")


if __name__ == "__main__":
    main()
