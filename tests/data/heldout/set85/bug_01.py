"""Traffic-sign classifier (GTSRB, 43 classes, 48x48 crops)."""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def make_model(num_classes=43):
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),  # expect: BN204
        nn.BatchNorm2d(32),
        nn.ReLU(inplace=True),
        nn.Conv2d(32, 32, 3, padding=1, bias=False),
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
        nn.Dropout(0.4),
        nn.Linear(128, num_classes),
    )


@torch.no_grad()
def validate(model, loader, device):
    correct, seen = 0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        logits = model(images)  # expect: BN101
        correct += (logits.argmax(dim=1) == labels).sum().item()
        seen += labels.size(0)
    return 100.0 * correct / seen


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="data/gtsrb")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    mean, std = (0.34, 0.31, 0.32), (0.27, 0.26, 0.27)
    train_tf = transforms.Compose([
        transforms.Resize((48, 48)),
        transforms.RandomRotation(10),
        transforms.ColorJitter(0.3, 0.3, 0.3),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ])
    val_tf = transforms.Compose([transforms.Resize((48, 48)), transforms.ToTensor(), transforms.Normalize(mean, std)])
    train_ds = datasets.ImageFolder(os.path.join(args.root, "train"), train_tf)
    val_ds = datasets.ImageFolder(os.path.join(args.root, "val"), val_tf)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=4)
    val_loader = DataLoader(val_ds, batch_size=256, num_workers=4)

    model = make_model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=3)

    best = 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        total_loss = 0.0
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * labels.size(0)

        val_acc = validate(model, val_loader, device)
        scheduler.step(val_acc)
        print(f"Epoch {epoch}: train loss {total_loss / len(train_ds):.4f}, val acc {val_acc:.2f}%")
        if val_acc > best:
            best = val_acc
            torch.save(model.state_dict(), "gtsrb_best.pt")
    print(f"best val acc {best:.2f}%")


if __name__ == "__main__":
    main()
