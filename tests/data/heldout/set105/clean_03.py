"""Fine-tune ResNet-50 for plant-seedling classification with frozen BN.

Frozen BatchNorm is implemented by overriding ``train()``: every call to
``model.train()`` (ours, or one made by a library) puts the model in training
mode and then switches the BatchNorm layers straight back to eval.
"""
import argparse
import os

import torch
import torch.nn as nn
from torch.nn import BatchNorm2d as BN
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms
from torchvision.models import resnet50, ResNet50_Weights


class SeedlingNet(nn.Module):
    def __init__(self, num_classes, freeze_bn=True):
        super().__init__()
        self.freeze_bn = freeze_bn
        self.encoder = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
        in_features = self.encoder.fc.in_features
        self.encoder.fc = nn.Identity()
        self.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(in_features, num_classes))
        if self.freeze_bn:
            for m in self.encoder.modules():
                if isinstance(m, BN):
                    m.weight.requires_grad_(False)
                    m.bias.requires_grad_(False)

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_bn:
            for m in self.encoder.modules():
                if isinstance(m, BN):
                    m.eval()
        return self

    def forward(self, x):
        return self.classifier(self.encoder(x))


def run_epoch(model, loader, criterion, device, optimizer=None):
    training = optimizer is not None
    if training:
        model.train()
    else:
        model.eval()
    total_loss, correct, n = 0.0, 0, 0
    with torch.set_grad_enabled(training):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            loss = criterion(out, y)
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total_loss += loss.item() * y.size(0)
            correct += (out.argmax(1) == y).sum().item()
            n += y.size(0)
    return total_loss / n, correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/plant-seedlings/train")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=24)
    parser.add_argument("--lr", type=float, default=2e-4)
    args = parser.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    tf = transforms.Compose([
        transforms.RandomResizedCrop(288, scale=(0.6, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.RandomVerticalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    full = datasets.ImageFolder(args.data, tf)
    n_val = len(full) // 10
    train_ds, val_ds = random_split(full, [len(full) - n_val, n_val], generator=torch.Generator().manual_seed(0))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=6, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=64, num_workers=6)

    model = SeedlingNet(num_classes=len(full.classes)).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999))
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5, patience=2)
    criterion = nn.CrossEntropyLoss()

    os.makedirs("checkpoints", exist_ok=True)
    best = 0.0
    for epoch in range(args.epochs):
        tr_loss, tr_acc = run_epoch(model, train_loader, criterion, device, optimizer)
        va_loss, va_acc = run_epoch(model, val_loader, criterion, device)
        scheduler.step(va_acc)
        print(f"{epoch:02d} train {tr_loss:.3f}/{tr_acc:.3f}  val {va_loss:.3f}/{va_acc:.3f}")
        if va_acc > best:
            best = va_acc
            torch.save(model.state_dict(), os.path.join("checkpoints", "seedlings_r50_frozenbn.pt"))


if __name__ == "__main__":
    main()
