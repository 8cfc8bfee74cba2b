"""MLP probe on top of an ImageNet ResNet-50.

The backbone is frozen, only a small two-layer head is trained.

    python probe_resnet50.py --data /datasets/flowers102 --epochs 20
"""
import argparse
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def parse_args():
    p = argparse.ArgumentParser(description="MLP probe on a frozen ResNet-50")
    p.add_argument("--data", required=True, help="folder with train/ and val/ subfolders")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--wd", type=float, default=1e-4)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--out", default="probe_head.pt")
    return p.parse_args()


def build_loaders(root, batch_size, workers):
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(224, scale=(0.5, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])
    val_tf = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])
    train_ds = datasets.ImageFolder(os.path.join(root, "train"), train_tf)
    val_ds = datasets.ImageFolder(os.path.join(root, "val"), val_tf)
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True,
                              num_workers=workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=batch_size * 2, shuffle=False,
                            num_workers=workers, pin_memory=True)
    return train_loader, val_loader, len(train_ds.classes)


class ProbeHead(nn.Module):
    def __init__(self, in_features, num_classes, hidden=512, p_drop=0.2):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)  # expect: BN204
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(p_drop)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = self.fc1(x)
        x = self.bn(x)
        x = F.relu(x, inplace=True)
        return self.fc2(self.drop(x))


def build_model(num_classes):
    model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
    for p in model.parameters():
        p.requires_grad = False  # expect: BN105
    model.fc = ProbeHead(model.fc.in_features, num_classes)
    return model


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    correct, total, loss_sum = 0, 0, 0.0
    for images, targets in loader:
        images = images.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        logits = model(images)
        loss_sum += F.cross_entropy(logits, targets, reduction="sum").item()
        correct += (logits.argmax(dim=1) == targets).sum().item()
        total += targets.numel()
    model.train()
    return loss_sum / total, correct / total


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader, val_loader, num_classes = build_loaders(args.data, args.batch_size, args.workers)

    model = build_model(num_classes).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    print(f"trainable params: {sum(p.numel() for p in params):,}")
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.wd)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    best_acc = 0.0
    for epoch in range(args.epochs):
        model.train()
        t0 = time.time()
        running = 0.0
        for step, (images, targets) in enumerate(train_loader):
            images = images.to(device, non_blocking=True)
            targets = targets.to(device, non_blocking=True)
            logits = model(images)
            loss = F.cross_entropy(logits, targets, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += loss.item()
        scheduler.step()

        val_loss, val_acc = validate(model, val_loader, device)
        print(f"epoch {epoch:3d} | train {running / len(train_loader):.4f} | "
              f"val {val_loss:.4f} acc {val_acc:.4f} | {time.time() - t0:.0f}s")
        if val_acc > best_acc:
            best_acc = val_acc

    model.eval  # expect: BN102
    torch.save({"head": model.fc.state_dict(), "num_classes": num_classes,
                "best_acc": best_acc}, args.out)
    print(f"saved head to {args.out} (best val acc {best_acc:.4f})")


if __name__ == "__main__":
    main()
