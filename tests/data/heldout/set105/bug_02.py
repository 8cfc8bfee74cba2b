#!/usr/bin/env python
# Fine-tune an ImageNet ResNet-50 on the Stanford Dogs split with a new MLP head.
import argparse
import logging
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import resnet50, ResNet50_Weights

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("finetune-dogs")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/stanford_dogs")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--wd", type=float, default=1e-4)
    p.add_argument("--num-classes", type=int, default=120)
    p.add_argument("--out", default="checkpoints")
    return p.parse_args()


def build_model(num_classes):
    weights = ResNet50_Weights.IMAGENET1K_V2
    model = resnet50(weights=weights)
    # replace the ImageNet classifier with a small MLP head (ported from our Keras baseline)
    model.fc = nn.Sequential(
        nn.Linear(2048, 512),  # expect: BN204
        nn.BatchNorm1d(512, momentum=0.99),  # expect: BN205
        nn.ReLU(inplace=True),
        nn.Dropout(0.4),
        nn.Linear(512, num_classes),
    )
    return model


def loaders(root, batch_size):
    train_tf = transforms.Compose([
        transforms.RandomResizedCrop(224, scale=(0.5, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ColorJitter(0.2, 0.2, 0.2),
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
    train_dl = DataLoader(train_ds, batch_size=batch_size, shuffle=True, num_workers=8, pin_memory=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=batch_size * 2, shuffle=False, num_workers=8)
    return train_dl, val_dl


def main():
    args = get_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    os.makedirs(args.out, exist_ok=True)

    model = build_model(args.num_classes).to(device)
    train_dl, val_dl = loaders(args.data, args.batch_size)

    backbone_params = [p for n, p in model.named_parameters() if not n.startswith("fc.")]
    head_params = list(model.fc.parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": backbone_params, "lr": args.lr * 0.1},
            {"params": head_params, "lr": args.lr},
        ],
        weight_decay=args.wd,
    )
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    best_acc = 0.0
    model.train()
    for epoch in range(args.epochs):
        running = 0.0
        for step, (images, targets) in enumerate(train_dl):
            images, targets = images.to(device, non_blocking=True), targets.to(device, non_blocking=True)
            logits = model(images)
            loss = F.cross_entropy(logits, targets, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += loss.item()
            if step % 50 == 0:
                log.info("epoch %d step %d loss %.4f", epoch, step, loss.item())
        scheduler.step()

        # ---- validation ----
        model.eval()  # expect: BN103
        correct = total = 0
        with torch.no_grad():
            for images, targets in val_dl:
                images, targets = images.to(device), targets.to(device)
                preds = model(images).argmax(dim=1)
                correct += (preds == targets).sum().item()
                total += targets.numel()
        acc = correct / total
        log.info("epoch %d train_loss %.4f val_acc %.4f", epoch, running / len(train_dl), acc)

        if acc > best_acc:
            best_acc = acc
            torch.save({"epoch": epoch, "state_dict": model.state_dict(), "acc": acc}, os.path.join(args.out, "best.pth"))

    log.info("best val acc %.4f", best_acc)


if __name__ == "__main__":
    main()
