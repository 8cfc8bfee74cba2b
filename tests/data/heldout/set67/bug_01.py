"""Skin-lesion classifier (HAM10000, 7 classes) with a small CNN and an MLP head."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class LesionNet(nn.Module):
    def __init__(self, num_classes=7):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1),  # expect: BN204
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
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128, 128, bias=False),
            nn.BatchNorm1d(128, momentum=0.99),  # expect: BN205
            nn.ReLU(inplace=True),
            nn.Dropout(0.4),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.head(self.features(x))


def train_epoch(model, loader, optimizer, device):
    model.train()
    total = 0.0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def validate(model, loader, device):
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)  # expect: BN101
            correct += (logits.argmax(dim=1) == labels).sum().item()
            total += labels.numel()
    return correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-dir", default="ham10000/train")
    parser.add_argument("--val-dir", default="ham10000/val")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    norm = transforms.Normalize((0.76, 0.55, 0.57), (0.14, 0.15, 0.17))
    train_set = datasets.ImageFolder(args.train_dir, transforms.Compose([
        transforms.RandomResizedCrop(128, scale=(0.7, 1.0)), transforms.RandomHorizontalFlip(),
        transforms.RandomVerticalFlip(), transforms.ToTensor(), norm]))
    val_set = datasets.ImageFolder(args.val_dir, transforms.Compose([
        transforms.Resize(144), transforms.CenterCrop(128), transforms.ToTensor(), norm]))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128, num_workers=4)

    model = LesionNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    best = 0.0
    for epoch in range(args.epochs):
        loss = train_epoch(model, train_loader, optimizer, device)
        acc = validate(model, val_loader, device)
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "lesionnet_best.pt")
        print(f"epoch {epoch:02d}: loss {loss:.4f} val acc {acc:.4f}")


if __name__ == "__main__":
    main()
