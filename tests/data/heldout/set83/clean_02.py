#!/usr/bin/env python
"""ISIC 2018 Task 1 lesion boundary segmentation.

Example:
    python isic_unet.py --data data/ISIC2018 --batch-size 24 --epochs 100
"""
import argparse
import csv
import os
from pathlib import Path

import albumentations as A
import cv2
import numpy as np
import torch
import torch.nn as nn
from albumentations.pytorch import ToTensorV2
from torch.utils.data import DataLoader, Dataset


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--size", type=int, default=384)
    p.add_argument("--log", default="isic_log.csv")
    return p.parse_args()


class ISICDataset(Dataset):
    def __init__(self, img_dir, mask_dir, tfm):
        self.images = sorted(Path(img_dir).glob("*.jpg"))
        self.mask_dir = Path(mask_dir)
        self.tfm = tfm

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        ip = self.images[i]
        img = cv2.cvtColor(cv2.imread(str(ip)), cv2.COLOR_BGR2RGB)
        mask = cv2.imread(str(self.mask_dir / f"{ip.stem}_segmentation.png"), 0)
        out = self.tfm(image=img, mask=(mask > 127).astype(np.float32))
        return out["image"], out["mask"][None]


class Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.body(x)


class UNet(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256, 512)):
        super().__init__()
        self.inc = Down(3, widths[0])
        self.downs = nn.ModuleList(Down(widths[i], widths[i + 1]) for i in range(len(widths) - 1))
        self.ups = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, 2) for i in reversed(range(len(widths) - 1)))
        self.convs = nn.ModuleList(Down(2 * widths[i], widths[i]) for i in reversed(range(len(widths) - 1)))
        self.outc = nn.Conv2d(widths[0], 1, 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        skips = [self.inc(x)]
        for d in self.downs:
            skips.append(d(self.pool(skips[-1])))
        x = skips.pop()
        for up, conv in zip(self.ups, self.convs):
            x = conv(torch.cat([up(x), skips.pop()], 1))
        return self.outc(x)


def jaccard(pred, target):
    inter = (pred * target).sum((1, 2, 3))
    union = pred.sum((1, 2, 3)) + target.sum((1, 2, 3)) - inter
    return inter / union.clamp(min=1)


@torch.no_grad()
def evaluate(model, loader, device):
    """Caller is responsible for putting the model in eval mode."""
    scores = []
    for img, mask in loader:
        prob = torch.sigmoid(model(img.to(device)))
        j = jaccard((prob > 0.5).float(), mask.to(device))
        # ISIC 2018 thresholded Jaccard: per-image scores below 0.65 count as 0
        scores.append(torch.where(j < 0.65, torch.zeros_like(j), j).cpu())
    return torch.cat(scores).mean().item()


def main():
    args = get_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_tfm = A.Compose([
        A.RandomResizedCrop(args.size, args.size, scale=(0.5, 1.0)),
        A.HorizontalFlip(), A.VerticalFlip(), A.RandomRotate90(),
        A.ColorJitter(0.2, 0.2, 0.2, 0.05),
        A.Normalize(), ToTensorV2(),
    ])
    val_tfm = A.Compose([A.Resize(args.size, args.size), A.Normalize(), ToTensorV2()])
    train_ds = ISICDataset(args.data / "ISIC2018_Task1-2_Training_Input",
                           args.data / "ISIC2018_Task1_Training_GroundTruth", train_tfm)
    val_ds = ISICDataset(args.data / "ISIC2018_Task1-2_Validation_Input",
                         args.data / "ISIC2018_Task1_Validation_GroundTruth", val_tfm)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=8, pin_memory=True)
    val_loader = DataLoader(val_ds, batch_size=args.batch_size, num_workers=8)

    model = UNet().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    criterion = nn.BCEWithLogitsLoss()
    best = 0.0

    with open(args.log, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["epoch", "train_loss", "val_thresh_jaccard"])
        for epoch in range(1, args.epochs + 1):
            model.train()
            losses = []
            for img, mask in train_loader:
                img, mask = img.to(device), mask.to(device)
                loss = criterion(model(img), mask)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())

            model.eval()
            tj = evaluate(model, val_loader, device)
            writer.writerow([epoch, np.mean(losses), tj])
            fh.flush()
            print(f"{epoch:3d}  loss {np.mean(losses):.4f}  thresholded-J {tj:.4f}")
            if tj > best:
                best = tj
                torch.save(model.state_dict(), "isic_unet_best.pt")
    os.replace("isic_unet_best.pt", f"isic_unet_best_{best:.3f}.pt")


if __name__ == "__main__":
    main()
