"""timm ResNet-50 fine-tuning with frozen BN and layer-wise learning rates.

The classic recipe: ``model.train()`` at the start of every epoch, then
``model.apply(set_bn_eval)`` so the pretrained BatchNorm statistics and
affine parameters stay fixed while the convolutions adapt.
"""
import argparse
import os
import time

import timm
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

_BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def set_bn_eval(module):
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        module.eval()


def freeze_bn_affine(model):
    for m in model.modules():
        if isinstance(m, _BN_TYPES):
            for p in m.parameters():
                p.requires_grad = False


def layerwise_param_groups(model, base_lr, decay=0.5):
    stages = ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"]
    groups = []
    n = len(stages)
    for i, stage in enumerate(stages):
        params = [p for name, p in model.named_parameters() if name.split(".")[0] == stage and p.requires_grad]
        if params:
            groups.append({"params": params, "lr": base_lr * (decay ** (n - 1 - i))})
    return groups


def validate(model, loader, criterion, device):
    model.eval()
    loss_sum, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss_sum += criterion(logits, y).item() * y.size(0)
            correct += (logits.argmax(1) == y).sum().item()
            n += y.size(0)
    return loss_sum / n, correct / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/data/dtd")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--out", default="output/dtd_r50")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = timm.create_model("resnet50", pretrained=True, num_classes=47)
    freeze_bn_affine(model)
    model.to(device)

    cfg = model.default_cfg
    norm = transforms.Normalize(cfg["mean"], cfg["std"])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), norm])
    val_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm])
    train_loader = DataLoader(datasets.ImageFolder(os.path.join(args.data, "train"), train_tf), batch_size=args.bs, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(datasets.ImageFolder(os.path.join(args.data, "val"), val_tf), batch_size=args.bs, shuffle=False, num_workers=8)

    optimizer = torch.optim.SGD(layerwise_param_groups(model, args.lr), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    criterion = nn.CrossEntropyLoss()

    best_acc = 0.0
    for epoch in range(args.epochs):
        model.train()
        model.apply(set_bn_eval)
        start = time.time()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()

        val_loss, val_acc = validate(model, val_loader, criterion, device)
        print(f"epoch {epoch}: val_loss={val_loss:.4f} val_acc={val_acc:.4f} ({time.time() - start:.0f}s)")
        if val_acc > best_acc:
            best_acc = val_acc
            torch.save(model.state_dict(), os.path.join(args.out, "best.pth"))


if __name__ == "__main__":
    main()
