# Linear probing of a frozen ImageNet ResNet-50 (MAE-style probe head).
# The backbone is frozen *and* kept in eval mode for the whole run; only
# `head` ever switches between train and eval.
import argparse
import math
import os

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms


def get_backbone():
    backbone = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)
    backbone.fc = nn.Identity()
    backbone.requires_grad_(False)
    backbone.eval()
    return backbone


def get_head(num_classes, dim=2048):
    # BatchNorm without affine params in front of the linear classifier
    # (as in the MAE linear-probing recipe); it only whitens frozen features
    head = nn.Sequential(nn.BatchNorm1d(dim, affine=False, eps=1e-6), nn.Linear(dim, num_classes))
    nn.init.trunc_normal_(head[1].weight, std=0.01)
    nn.init.zeros_(head[1].bias)
    return head


def adjust_lr(optimizer, epoch, args):
    if epoch < args.warmup:
        lr = args.lr * epoch / args.warmup
    else:
        lr = args.min_lr + (args.lr - args.min_lr) * 0.5 * (1.0 + math.cos(math.pi * (epoch - args.warmup) / (args.epochs - args.warmup)))
    for g in optimizer.param_groups:
        g["lr"] = lr
    return lr


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/datasets/imagenet100")
    p.add_argument("--epochs", type=int, default=90)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--min-lr", type=float, default=0.0)
    p.add_argument("--num-classes", type=int, default=100)
    args = p.parse_args()

    device = torch.device("cuda")
    norm = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train_ds = datasets.ImageFolder(os.path.join(args.data, "train"), transforms.Compose([transforms.RandomResizedCrop(224, interpolation=3), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm]))
    val_ds = datasets.ImageFolder(os.path.join(args.data, "val"), transforms.Compose([transforms.Resize(256, interpolation=3), transforms.CenterCrop(224), transforms.ToTensor(), norm]))
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=10, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=256, shuffle=False, num_workers=10, pin_memory=True)

    backbone = get_backbone().to(device)
    head = get_head(args.num_classes).to(device)
    optimizer = torch.optim.SGD(head.parameters(), lr=args.lr, momentum=0.9, weight_decay=0.0)
    criterion = nn.CrossEntropyLoss()

    best = 0.0
    for epoch in range(args.epochs):
        lr = adjust_lr(optimizer, epoch, args)
        head.train()
        for images, target in train_loader:
            images, target = images.to(device, non_blocking=True), target.to(device, non_blocking=True)
            with torch.no_grad():
                feats = backbone(images)
            loss = criterion(head(feats), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        head.eval()
        correct = total = 0
        with torch.no_grad():
            for images, target in val_loader:
                images, target = images.to(device), target.to(device)
                logits = head(backbone(images))
                correct += (logits.argmax(1) == target).sum().item()
                total += target.size(0)
        acc = 100.0 * correct / total
        best = max(best, acc)
        print(f"epoch {epoch:3d} lr {lr:.4f} loss {loss.item():.4f} acc@1 {acc:.2f} (best {best:.2f})")
        torch.save({"head": head.state_dict(), "epoch": epoch}, "probe_head.pth")


if __name__ == "__main__":
    main()
