#!/usr/bin/env python3
"""Linear probe on top of a frozen ImageNet ResNet-50 backbone.

The backbone acts as a fixed feature extractor; only the linear classifier
is trained.  At the end the probe is evaluated and the head is saved on its
own so the serving side can attach it to the stock backbone.
"""
import argparse
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

log = logging.getLogger("linear_probe")


def make_loaders(root, batch_size, workers):
    norm = transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_tfm = transforms.Compose([
        transforms.RandomResizedCrop(224, scale=(0.5, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        norm,
    ])
    val_tfm = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        norm,
    ])
    train_set = datasets.ImageFolder(f"{root}/train", train_tfm)
    val_set = datasets.ImageFolder(f"{root}/val", val_tfm)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True,
                              num_workers=workers, drop_last=True, pin_memory=True)
    val_loader = DataLoader(val_set, batch_size=batch_size, shuffle=False,
                            num_workers=workers, pin_memory=True)
    return train_loader, val_loader, len(train_set.classes)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--out", default="probe_head.pt")
    return p.parse_args()


def main():
    logging.basicConfig(level=logging.INFO)
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader, val_loader, num_classes = make_loaders(args.data, args.batch_size, args.workers)

    backbone = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
    feat_dim = backbone.fc.in_features
    backbone.fc = nn.Identity()
    backbone.requires_grad_(False)  # expect: BN105
    backbone.to(device)

    head = nn.Linear(feat_dim, num_classes).to(device)
    nn.init.zeros_(head.bias)
    nn.init.normal_(head.weight, std=0.01)

    optimizer = torch.optim.SGD(head.parameters(), lr=args.lr, momentum=0.9, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(args.epochs):
        head.train()
        running, seen = 0.0, 0
        for images, targets in train_loader:
            images = images.to(device, non_blocking=True)
            targets = targets.to(device, non_blocking=True)
            feats = backbone(images)
            logits = head(feats)
            loss = F.cross_entropy(logits, targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += loss.item() * targets.size(0)
            seen += targets.size(0)
        scheduler.step()
        log.info("epoch %d  train loss %.4f", epoch, running / max(seen, 1))

    backbone.eval()
    head.eval()
    correct = total = 0
    with torch.no_grad():
        for images, targets in val_loader:
            images = images.to(device, non_blocking=True)
            targets = targets.to(device, non_blocking=True)
            preds = head(backbone(images)).argmax(dim=1)
            correct += (preds == targets).sum().item()
            total += targets.numel()
    log.info("linear probe top-1: %.2f%%", 100.0 * correct / max(total, 1))

    torch.save({"head": head.state_dict(), "num_classes": num_classes, "feat_dim": feat_dim}, args.out)
    log.info("saved %s", args.out)


if __name__ == "__main__":
    main()
