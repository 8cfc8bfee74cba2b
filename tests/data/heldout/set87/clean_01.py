"""Linear probe on a frozen ConvNet backbone (torchvision ResNet-50, ImageNet V2 weights).

The backbone's BatchNorm layers keep their ImageNet running statistics: the wrapper
overrides train() so the backbone stays in eval mode whatever the caller does.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models


class LinearProbe(nn.Module):
    def __init__(self, num_classes: int):
        super().__init__()
        weights = models.ResNet50_Weights.IMAGENET1K_V2
        backbone = models.resnet50(weights=weights)
        feat_dim = backbone.fc.in_features
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.backbone.requires_grad_(False)
        self.backbone.eval()
        self.head = nn.Linear(feat_dim, num_classes)
        self.transforms = weights.transforms()

    def train(self, mode: bool = True) -> "LinearProbe":
        super().train(mode)
        # frozen feature extractor: never update BN running stats
        self.backbone.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            feats = self.backbone(x)
        return self.head(feats)


def accuracy(logits: torch.Tensor, target: torch.Tensor, topk=(1, 5)) -> list[float]:
    maxk = max(topk)
    _, pred = logits.topk(maxk, dim=1)
    hit = pred.eq(target.unsqueeze(1))
    return [hit[:, :k].any(dim=1).float().mean().item() for k in topk]


def run_eval(model: LinearProbe, loader: DataLoader, device: torch.device) -> dict:
    model.eval()
    top1 = top5 = 0.0
    n = 0
    with torch.inference_mode():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            a1, a5 = accuracy(model(x), y)
            top1 += a1 * len(y)
            top5 += a5 * len(y)
            n += len(y)
    return {"top1": top1 / n, "top5": top5 / n}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--out", type=Path, default=Path("linear_probe"))
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set = datasets.ImageFolder(args.data / "train")
    model = LinearProbe(num_classes=len(train_set.classes)).to(device)
    train_set.transform = model.transforms
    val_set = datasets.ImageFolder(args.data / "val", transform=model.transforms)

    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=args.batch_size, num_workers=8, pin_memory=True)

    optimizer = torch.optim.SGD(model.head.parameters(), lr=args.lr, momentum=0.9, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs * len(train_loader))

    args.out.mkdir(parents=True, exist_ok=True)
    log = []
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        metrics = run_eval(model, val_loader, device)
        metrics["epoch"] = epoch
        log.append(metrics)
        print(json.dumps(metrics))

    torch.save(model.head.state_dict(), args.out / "head.pt")
    (args.out / "log.json").write_text(json.dumps(log, indent=2))


if __name__ == "__main__":
    main()
