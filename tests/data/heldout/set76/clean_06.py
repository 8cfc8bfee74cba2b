#!/usr/bin/env python3
"""Linear probing of a frozen ConvNeXt/ResNet backbone with cached features.

Features are extracted once with the frozen backbone and cached on disk; the
probe (BatchNorm without affine + Linear, as in the MAE protocol) is trained
on the cached features and evaluated after every epoch.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets, models, transforms


def extract_features(backbone, root, split, device, cache_dir):
    cache = os.path.join(cache_dir, f"{split}_feats.pt")
    if os.path.exists(cache):
        return torch.load(cache)
    tfm = transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])
    ds = datasets.ImageFolder(os.path.join(root, split), tfm)
    loader = DataLoader(ds, batch_size=256, shuffle=False, num_workers=8)
    feats, labels = [], []
    with torch.no_grad():
        for images, targets in loader:
            feats.append(backbone(images.to(device)).cpu())
            labels.append(targets)
    out = (torch.cat(feats), torch.cat(labels))
    os.makedirs(cache_dir, exist_ok=True)
    torch.save(out, cache)
    return out


def run_epoch_eval(probe, loader, device):
    probe.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = probe(x.to(device)).argmax(1)
            correct += (pred == y.to(device)).sum().item()
            total += y.numel()
    return correct / max(total, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--cache", default="feature_cache")
    p.add_argument("--epochs", type=int, default=90)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--lr", type=float, default=0.1)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    backbone = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
    backbone.fc = nn.Identity()
    backbone.eval()
    backbone.requires_grad_(False)
    backbone.to(device)

    x_train, y_train = extract_features(backbone, args.data, "train", device, args.cache)
    x_val, y_val = extract_features(backbone, args.data, "val", device, args.cache)
    num_classes = int(y_train.max()) + 1

    probe = nn.Sequential(
        nn.BatchNorm1d(x_train.shape[1], affine=False, eps=1e-6),
        nn.Linear(x_train.shape[1], num_classes),
    ).to(device)
    nn.init.trunc_normal_(probe[1].weight, std=0.01)
    nn.init.zeros_(probe[1].bias)

    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                              shuffle=True, drop_last=True)
    val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=4096)
    optimizer = torch.optim.SGD(probe.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)

    best = 0.0
    for epoch in range(args.epochs):
        probe.train()
        for x, y in train_loader:
            loss = F.cross_entropy(probe(x.to(device)), y.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = run_epoch_eval(probe, val_loader, device)
        best = max(best, acc)
        print(f"epoch {epoch:3d}  val top-1 {acc * 100:.2f}  best {best * 100:.2f}")

    torch.save(probe.state_dict(), "linear_probe.pt")


if __name__ == "__main__":
    main()
