"""Fine-tune an ImageNet ResNet-50 on a fine-grained dataset (CUB-200) with frozen BatchNorm.

BN statistics are kept from ImageNet pre-training: the fine-grained images are few
and the batch is moderate, so re-estimating them hurts accuracy.
"""
import argparse
import os

import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader
from torchvision.models import ResNet50_Weights


def freeze_bn(model):
    """Put every BatchNorm in eval mode and stop its affine parameters from training."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)


def build_model(num_classes, pretrained=True):
    weights = ResNet50_Weights.IMAGENET1K_V2 if pretrained else None
    model = torchvision.models.resnet50(weights=weights)
    model.fc = nn.Sequential(nn.Dropout(0.3), nn.Linear(model.fc.in_features, num_classes))
    return model


def build_loaders(root, batch_size, workers):
    normalize = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = T.Compose([T.RandomResizedCrop(448, scale=(0.35, 1.0)), T.RandomHorizontalFlip(),
                          T.ColorJitter(0.2, 0.2, 0.2), T.ToTensor(), normalize])
    test_tf = T.Compose([T.Resize(512), T.CenterCrop(448), T.ToTensor(), normalize])
    train_set = torchvision.datasets.ImageFolder(os.path.join(root, "train"), train_tf)
    test_set = torchvision.datasets.ImageFolder(os.path.join(root, "test"), test_tf)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True,
                              num_workers=workers, pin_memory=True, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=batch_size, shuffle=False, num_workers=workers)
    return train_loader, test_loader


def train_one_epoch(model, loader, optimizer, scaler, device):
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    total, loss_sum = 0, 0.0
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            loss = criterion(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        loss_sum += loss.item() * labels.size(0)
        total += labels.size(0)
    return loss_sum / total


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    correct = total = 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        logits = model(images) + model(torch.flip(images, dims=[3]))
        correct += (logits.argmax(1) == labels).sum().item()
        total += labels.size(0)
    return correct / total


def main():
    parser = argparse.ArgumentParser(description="CUB-200 fine-tuning")
    parser.add_argument("--root", default="./data/CUB_200_2011/split")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--resume", default="")
    parser.add_argument("--out", default="./checkpoints/cub_r50.pth")
    args = parser.parse_args()

    device = torch.device("cuda")
    model = build_model(num_classes=200).to(device)
    start_epoch, best_acc = 0, 0.0
    if args.resume:
        ckpt = torch.load(args.resume, map_location="cpu")
        model.load_state_dict(ckpt["model"])
        start_epoch, best_acc = ckpt["epoch"] + 1, ckpt["best_acc"]
    freeze_bn(model)

    backbone_params = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("fc.")]
    optimizer = torch.optim.SGD([
        {"params": backbone_params, "lr": args.lr * 0.1},
        {"params": model.fc.parameters(), "lr": args.lr},
    ], momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    scaler = torch.cuda.amp.GradScaler()
    train_loader, test_loader = build_loaders(args.root, args.batch_size, args.workers)

    for epoch in range(start_epoch, args.epochs):
        model.train()
        freeze_bn(model)
        loss = train_one_epoch(model, train_loader, optimizer, scaler, device)
        scheduler.step()
        acc = validate(model, test_loader, device)
        print(f"[{epoch:02d}] loss={loss:.4f} acc={acc:.4f} lr={scheduler.get_last_lr()[0]:.5f}")
        if acc > best_acc:
            best_acc = acc
            os.makedirs(os.path.dirname(args.out), exist_ok=True)
            torch.save({"model": model.state_dict(), "epoch": epoch, "best_acc": best_acc}, args.out)
    print(f"best top-1: {best_acc:.4f}")


if __name__ == "__main__":
    main()
