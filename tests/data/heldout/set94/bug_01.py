"""CIFAR-10 classification with a small Trainer class.

Mixed precision, one-cycle schedule, best-checkpoint saving.
Usage: python bug_01.py --data ./data --epochs 30
"""
import argparse
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class ConvNet(nn.Module):
    def __init__(self, num_classes=10, width=32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, kernel_size=3, padding=1),  # expect: BN204
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(128, 256, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(256, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.head(self.dropout(x))


class Trainer:
    """Owns model, optimiser, scheduler and the data loaders."""

    def __init__(self, model, train_loader, val_loader, epochs=30, lr=0.1,
                 device="cuda", out_dir="checkpoints"):
        self.device = torch.device(device if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.epochs = epochs
        self.out_dir = out_dir
        self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr,
                                         momentum=0.9, weight_decay=5e-4, nesterov=True)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=lr, epochs=epochs,
            steps_per_epoch=len(train_loader))
        self.scaler = torch.cuda.amp.GradScaler(enabled=self.device.type == "cuda")
        self.best_acc = 0.0
        self.history = []
        os.makedirs(out_dir, exist_ok=True)

    def train_epoch(self, epoch):
        self.model.train()
        running, seen = 0.0, 0
        start = time.time()
        for step, (images, targets) in enumerate(self.train_loader):
            images = images.to(self.device, non_blocking=True)
            targets = targets.to(self.device, non_blocking=True)
            with torch.autocast(device_type=self.device.type, dtype=torch.float16,
                                enabled=self.device.type == "cuda"):
                logits = self.model(images)
                loss = self.criterion(logits, targets)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            running += loss.item() * images.size(0)
            seen += images.size(0)
            if step % 100 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        print(f"epoch {epoch} done in {time.time() - start:.1f}s")
        return running / max(seen, 1)

    @torch.no_grad()
    def validate(self):
        correct, total, val_loss = 0, 0, 0.0
        for images, targets in self.val_loader:
            images = images.to(self.device)
            targets = targets.to(self.device)
            logits = self.model(images)  # expect: BN101
            val_loss += F.cross_entropy(logits, targets, reduction="sum").item()
            correct += (logits.argmax(dim=1) == targets).sum().item()
            total += targets.numel()
        return val_loss / total, correct / total

    def save(self, name, epoch):
        torch.save({
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "best_acc": self.best_acc,
        }, os.path.join(self.out_dir, name))

    def fit(self):
        for epoch in range(self.epochs):
            train_loss = self.train_epoch(epoch)
            val_loss, val_acc = self.validate()
            self.history.append((train_loss, val_loss, val_acc))
            print(f"[{epoch}] train {train_loss:.4f} val {val_loss:.4f} acc {val_acc:.4f}")
            if val_acc > self.best_acc:
                self.best_acc = val_acc
                self.save("best.pt", epoch)
            self.save("last.pt", epoch)
        return self.history


def build_loaders(root, batch_size, workers):
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    train_tf = transforms.Compose([
        transforms.RandomCrop(32, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ])
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train_set = datasets.CIFAR10(root, train=True, download=True, transform=train_tf)
    val_set = datasets.CIFAR10(root, train=False, download=True, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True,
                              num_workers=workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=256, shuffle=False, num_workers=workers)
    return train_loader, val_loader


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="./data")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    train_loader, val_loader = build_loaders(args.data, args.batch_size, args.workers)
    trainer = Trainer(ConvNet(), train_loader, val_loader, epochs=args.epochs, lr=args.lr)
    trainer.fit()
    print(f"best accuracy {trainer.best_acc:.4f}")


if __name__ == "__main__":
    main()
