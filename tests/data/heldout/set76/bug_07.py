#!/usr/bin/env python3
"""Test-time augmentation evaluation for the plant-disease classifier.

Averages softmax outputs over a fixed set of flips / crops and reports
top-1 accuracy with and without TTA.
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

TTA_VIEWS = ["identity", "hflip", "vflip", "rot90", "rot270"]


def apply_view(x, view):
    if view == "identity":
        return x
    if view == "hflip":
        return torch.flip(x, dims=[3])
    if view == "vflip":
        return torch.flip(x, dims=[2])
    if view == "rot90":
        return torch.rot90(x, 1, dims=[2, 3])
    if view == "rot270":
        return torch.rot90(x, 3, dims=[2, 3])
    raise ValueError(view)


def load_ckpt(path):
    ckpt = torch.load(path, map_location="cpu")
    state = ckpt["ema"] if "ema" in ckpt else ckpt["model"]
    return {k.replace("module.", ""): v for k, v in state.items()}


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="ImageFolder with the held-out images")
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--num-classes", type=int, default=38)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--img-size", type=int, default=256)
    p.add_argument("--views", nargs="+", default=TTA_VIEWS)
    p.add_argument("--report", default="tta_report.json")
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = models.efficientnet_b0(weights=None if args.checkpoint else models.EfficientNet_B0_Weights.DEFAULT)
    model.classifier[1] = nn.Linear(model.classifier[1].in_features, args.num_classes)
    if args.checkpoint:
        model.load_state_dict(load_ckpt(args.checkpoint))
        model.eval()
    else:
        print("warning: no checkpoint given, classifier head is randomly initialised")
    model.to(device)

    tfm = transforms.Compose([
        transforms.Resize(args.img_size),
        transforms.CenterCrop(args.img_size),
        transforms.ToTensor(),
        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])
    dataset = datasets.ImageFolder(args.data, tfm)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=False, num_workers=6)

    correct_single = correct_tta = total = 0
    per_view_correct = {v: 0 for v in args.views}
    with torch.no_grad():
        for images, targets in loader:
            images = images.to(device)
            targets = targets.to(device)
            prob_sum = torch.zeros(images.size(0), args.num_classes, device=device)
            for view in args.views:
                logits = model(apply_view(images, view))  # expect: BN101
                probs = F.softmax(logits, dim=1)
                prob_sum += probs
                view_pred = probs.argmax(dim=1)
                per_view_correct[view] += (view_pred == targets).sum().item()
                if view == "identity":
                    correct_single += (view_pred == targets).sum().item()
            correct_tta += (prob_sum.argmax(dim=1) == targets).sum().item()
            total += targets.numel()

    report = {
        "images": total,
        "top1_single": correct_single / max(total, 1),
        "top1_tta": correct_tta / max(total, 1),
        "per_view": {v: c / max(total, 1) for v, c in per_view_correct.items()},
        "views": args.views,
    }
    with open(args.report, "w") as fh:
        json.dump(report, fh, indent=2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
