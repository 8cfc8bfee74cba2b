"""Stochastic Weight Averaging (SWA) for a small wafer-defect classifier,
followed by a TorchScript export of the averaged weights.
"""
import argparse
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader, Dataset

N_TRAIN = 2049
N_TEST = 600


class WaferMaps(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.maps = torch.rand(n, 1, 48, 48, generator=g)
        self.labels = torch.randint(0, 9, (n,), generator=g)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return self.maps[idx], self.labels[idx]


class WaferNet(nn.Module):
    def __init__(self, n_classes=9):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Linear(128, n_classes)

    def forward(self, x):
        return self.classifier(self.body(x))


def evaluate(model, loader, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
    return correct / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--swa-start", type=int, default=30)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--swa-lr", type=float, default=0.01)
    parser.add_argument("--out", default="export/wafer_swa.pt")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(WaferMaps(N_TRAIN, seed=0), batch_size=64, shuffle=True)  # expect: BN302
    test_loader = DataLoader(WaferMaps(N_TEST, seed=1), batch_size=200)

    model = WaferNet().to(device)
    swa_model = AveragedModel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.swa_start)
    swa_scheduler = SWALR(optimizer, swa_lr=args.swa_lr, anneal_epochs=3)

    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        if epoch >= args.swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
        print(f"epoch {epoch}: test acc {evaluate(model, test_loader, device):.4f}")

    update_bn(train_loader, swa_model, device=device)

    correct = 0
    with torch.no_grad():
        for x, y in test_loader:
            x, y = x.to(device), y.to(device)
            preds = swa_model(x).argmax(dim=1)  # expect: BN101
            correct += (preds == y).sum().item()
    print(f"SWA test acc: {correct / N_TEST:.4f}")

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    example = torch.rand(1, 1, 48, 48, device=device)
    traced = torch.jit.trace(swa_model.module, example)  # expect: BN104
    traced.save(args.out)
    print(f"saved TorchScript model to {args.out}")


if __name__ == "__main__":
    main()
