"""DeepLabV3 (ResNet-50, output stride 16) fine-tuning for aerial land-cover
segmentation on 1024x1024 tiles.

    python bug_08.py --root /data/landcover --epochs 80
"""
from __future__ import annotations

import argparse
import glob
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.utils.data import DataLoader, Dataset

CLASSES = ["background", "building", "woodland", "water", "road", "cropland"]
IGNORE_INDEX = 255


class TileDataset(Dataset):
    def __init__(self, root: str, split: str, augment: bool = False):
        self.images = sorted(glob.glob(os.path.join(root, split, "images", "*.npy")))
        self.augment = augment

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, idx: int):
        img = np.load(self.images[idx]).astype(np.float32) / 255.0  # (3, H, W)
        mask = np.load(self.images[idx].replace("images", "masks")).astype(np.int64)
        if self.augment:
            k = np.random.randint(4)
            img, mask = np.rot90(img, k, axes=(1, 2)), np.rot90(mask, k)
            if np.random.rand() < 0.5:
                img, mask = img[:, :, ::-1], mask[:, ::-1]
        return torch.from_numpy(img.copy()), torch.from_numpy(mask.copy())


class ASPPPooling(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_ch, out_ch, 1, bias=False),
            nn.BatchNorm1d(out_ch),  # expect: BN202
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        return F.interpolate(super().forward(x), size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    def __init__(self, in_ch: int = 2048, out_ch: int = 256, rates=(6, 12, 18)):
        super().__init__()
        branches = [nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))]
        for r in rates:
            branches.append(nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 3, padding=r, dilation=r, bias=False),
                nn.BatchNorm2d(out_ch),
                nn.ReLU(inplace=True),
            ))
        branches.append(ASPPPooling(in_ch, out_ch))
        self.branches = nn.ModuleList(branches)
        self.project = nn.Sequential(
            nn.Conv2d(out_ch * (len(rates) + 2), out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(torch.cat([b(x) for b in self.branches], dim=1))


class DeepLabV3(nn.Module):
    def __init__(self, num_classes: int = len(CLASSES)):
        super().__init__()
        r50 = torchvision.models.resnet50(weights="IMAGENET1K_V2",
                                          replace_stride_with_dilation=[False, False, True])
        self.backbone = nn.Sequential(*list(r50.children())[:-2])
        self.aspp = ASPP(2048, 256)
        self.head = nn.Sequential(
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, num_classes, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        logits = self.head(self.aspp(self.backbone(x)))
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)


def confusion(pred: torch.Tensor, target: torch.Tensor, n: int) -> torch.Tensor:
    valid = target != IGNORE_INDEX
    return torch.bincount(n * target[valid] + pred[valid], minlength=n * n).view(n, n)


def validate(model: nn.Module, loader: DataLoader, device: str) -> float:
    model.eval()
    cm = torch.zeros(len(CLASSES), len(CLASSES), dtype=torch.long, device=device)
    with torch.no_grad():
        for img, mask in loader:
            pred = model(img.to(device)).argmax(1)
            cm += confusion(pred, mask.to(device), len(CLASSES))
    iou = cm.diag() / (cm.sum(0) + cm.sum(1) - cm.diag()).clamp_min(1)
    return iou.mean().item()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="/data/landcover")
    p.add_argument("--epochs", type=int, default=80)
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.01)
    args = p.parse_args()
    device = "cuda"

    train_ds = TileDataset(args.root, "train", augment=True)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)  # expect: BN301
    val_loader = DataLoader(TileDataset(args.root, "val"), batch_size=4, num_workers=4)

    model = DeepLabV3().to(device)
    params = [
        {"params": model.backbone.parameters(), "lr": args.lr * 0.1},
        {"params": list(model.aspp.parameters()) + list(model.head.parameters()), "lr": args.lr},
    ]
    opt = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=1e-4)
    total_steps = args.epochs * len(train_loader)
    sched = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=total_steps, power=0.9)

    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        for img, mask in train_loader:
            logits = model(img.to(device))
            loss = F.cross_entropy(logits, mask.to(device), ignore_index=IGNORE_INDEX)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        miou = validate(model, val_loader, device)
        print(f"epoch {epoch}: loss {loss.item():.4f} mIoU {miou:.4f}")
        if miou > best:
            best = miou
            torch.save(model.state_dict(), "deeplabv3_landcover.pt")


if __name__ == "__main__":
    main()
