#!/usr/bin/env python3
"""Average the weights of the last N checkpoints (uniform SWA-style) and
evaluate the averaged model.

Averaged BatchNorm running statistics do not match the averaged weights, so
they are recomputed on a pass over training data with
torch.optim.swa_utils.update_bn before evaluation.

    python average_checkpoints.py runs/exp12/epoch_0{86..90}.pth --out averaged.pth
"""
import argparse
from collections import OrderedDict

import torch
import torch.nn as nn
from torch.optim.swa_utils import update_bn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, models, transforms


def average_state_dicts(paths):
    avg = OrderedDict()
    for i, path in enumerate(paths):
        state = torch.load(path, map_location="cpu")
        state = state.get("model", state)
        for k, v in state.items():
            if not torch.is_floating_point(v):
                # num_batches_tracked and other integer buffers: keep the last value
                avg[k] = v.clone()
                continue
            if i == 0:
                avg[k] = v.clone().double()
            else:
                avg[k] += v.double()
    for k, v in avg.items():
        if torch.is_floating_point(v):
            avg[k] = (v / len(paths)).float()
    return avg


def loaders(root, batch_size, recal_images):
    norm = transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    train_tfm = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                    transforms.ToTensor(), norm])
    val_tfm = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224),
                                  transforms.ToTensor(), norm])
    train = datasets.ImageFolder(f"{root}/train", train_tfm)
    val = datasets.ImageFolder(f"{root}/val", val_tfm)
    g = torch.Generator().manual_seed(0)
    subset = Subset(train, torch.randperm(len(train), generator=g)[:recal_images].tolist())
    recal_loader = DataLoader(subset, batch_size=batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(val, batch_size=batch_size, shuffle=False, num_workers=8)
    return recal_loader, val_loader, len(train.classes)


def top1(model, loader, device):
    correct = total = 0
    with torch.no_grad():
        for images, targets in loader:
            preds = model(images.to(device)).argmax(1).cpu()
            correct += (preds == targets).sum().item()
            total += targets.numel()
    return correct / max(total, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--data", required=True)
    p.add_argument("--out", default="averaged.pth")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--recal-images", type=int, default=20000)
    args = p.parse_args()
    if len(args.checkpoints) < 2:
        raise SystemExit("need at least two checkpoints to average")

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    recal_loader, val_loader, num_classes = loaders(args.data, args.batch_size, args.recal_images)

    model = models.resnet101(weights=None)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    model.load_state_dict(average_state_dicts(args.checkpoints))
    model.to(device)

    update_bn(recal_loader, model, device=device)
    model.eval()
    acc = top1(model, val_loader, device)
    print(f"averaged {len(args.checkpoints)} checkpoints: top-1 {acc * 100:.2f}%")

    torch.save({"model": model.state_dict(), "sources": args.checkpoints, "top1": acc}, args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
