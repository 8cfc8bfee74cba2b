"""Linear-probe + light fine-tuning of a frozen feature extractor for
histopathology patches, with gradient accumulation and early stopping.

The backbone wrapper overrides ``train()`` so that its BatchNorm layers
always stay in inference mode, even when the whole model is put in train
mode each epoch.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

ACCUM_STEPS = 4


class FrozenBackbone(nn.Module):
    def __init__(self, ckpt=None):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.Conv2d(128, 256, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        if ckpt:
            self.net.load_state_dict(torch.load(ckpt, map_location="cpu"))
        for p in self.net.parameters():
            p.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        for m in self.net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    def forward(self, x):
        return self.net(x)


class PatchClassifier(nn.Module):
    def __init__(self, ckpt=None, n_classes=9):
        super().__init__()
        self.backbone = FrozenBackbone(ckpt)
        self.head = nn.Sequential(
            nn.Linear(256, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, n_classes),
        )

    def forward(self, x):
        return self.head(self.backbone(x))


def evaluate(model, loader, device):
    model.eval()
    loss_sum, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            n += y.numel()
    model.train()
    return loss_sum / n, correct / n


def patches(n, seed):
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.rand(n, 3, 96, 96, generator=g), torch.randint(0, 9, (n,), generator=g))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backbone", default="histo_backbone.pt")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--ckpt", default="runs/patch_head.pt")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(patches(6400, 0), batch_size=16, shuffle=True)
    val_loader = DataLoader(patches(257, 1), batch_size=32)
    test_loader = DataLoader(patches(1000, 2), batch_size=100)

    model = PatchClassifier(args.backbone).to(device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)

    best, bad = float("inf"), 0
    os.makedirs(os.path.dirname(args.ckpt), exist_ok=True)
    model.train()
    for epoch in range(args.epochs):
        optimizer.zero_grad()
        for step, (x, y) in enumerate(train_loader, start=1):
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y) / ACCUM_STEPS
            loss.backward()
            if step % ACCUM_STEPS == 0 or step == len(train_loader):
                optimizer.step()
                optimizer.zero_grad()

        val_loss, val_acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: val loss {val_loss:.4f} acc {val_acc:.4f}")
        if val_loss < best:
            best, bad = val_loss, 0
            torch.save(model.state_dict(), args.ckpt)
        else:
            bad += 1
            if bad >= args.patience:
                print("early stopping")
                break

    final = PatchClassifier(ckpt=None).to(device)
    final.load_state_dict(torch.load(args.ckpt, map_location=device))
    test_loss, test_acc = evaluate(final, test_loader, device)
    print(f"test loss {test_loss:.4f} acc {test_acc:.4f}")


if __name__ == "__main__":
    main()
