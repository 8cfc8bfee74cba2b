#!/usr/bin/env python
"""Train a 3-D U-Net on BraTS 2020 (4 MR modalities -> WT / TC / ET).

Random 128^3 patches for training, sliding-window validation on full volumes.
Usage:  python train_unet3d_brats.py --data-root /data/BraTS2020/train
"""
import argparse
import glob
import os
import random
import time

import nibabel as nib
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

MODALITIES = ("flair", "t1", "t1ce", "t2")


def parse_args():
    p = argparse.ArgumentParser(description="3D U-Net BraTS training")
    p.add_argument("--data-root", default="/data/BraTS2020/train")
    p.add_argument("--val-root", default="/data/BraTS2020/val")
    p.add_argument("--patch", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=2)  # 2 x 128^3 fits on a 24GB card
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--out", default="runs/unet3d_brats")
    return p.parse_args()


def load_case(case_dir):
    name = os.path.basename(case_dir.rstrip("/"))
    vols = [nib.load(os.path.join(case_dir, f"{name}_{m}.nii.gz")).get_fdata() for m in MODALITIES]
    img = np.stack(vols).astype(np.float32)
    seg = nib.load(os.path.join(case_dir, f"{name}_seg.nii.gz")).get_fdata().astype(np.uint8)
    brain = img.sum(0) > 0
    for c in range(img.shape[0]):
        v = img[c][brain]
        img[c][brain] = (v - v.mean()) / (v.std() + 1e-8)
    # nested tumour regions: whole tumour, tumour core, enhancing tumour
    lab = np.stack([seg > 0, (seg == 1) | (seg == 4), seg == 4]).astype(np.float32)
    return img, lab


class BratsPatches(Dataset):
    def __init__(self, root, patch):
        self.cases = sorted(glob.glob(os.path.join(root, "BraTS20_*")))
        self.patch = patch

    def __len__(self):
        return len(self.cases)

    def __getitem__(self, i):
        img, lab = load_case(self.cases[i])
        _, d, h, w = img.shape
        p = self.patch
        z, y, x = random.randint(0, d - p), random.randint(0, h - p), random.randint(0, w - p)
        img = img[:, z:z + p, y:y + p, x:x + p]
        lab = lab[:, z:z + p, y:y + p, x:x + p]
        if random.random() < 0.5:
            img, lab = img[:, :, :, ::-1], lab[:, :, :, ::-1]
        return torch.from_numpy(img.copy()), torch.from_numpy(lab.copy())


class BratsVolumes(Dataset):
    def __init__(self, root):
        self.cases = sorted(glob.glob(os.path.join(root, "BraTS20_*")))

    def __len__(self):
        return len(self.cases)

    def __getitem__(self, i):
        img, lab = load_case(self.cases[i])
        return torch.from_numpy(img), torch.from_numpy(lab)


class DoubleConv(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(
            nn.Conv3d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm3d(cout),
            nn.ReLU(inplace=True),
            nn.Conv3d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm3d(cout),
            nn.ReLU(inplace=True),
        )


class UNet3D(nn.Module):
    def __init__(self, in_ch=4, n_classes=3, f=(32, 64, 128, 256)):
        super().__init__()
        self.enc1 = DoubleConv(in_ch, f[0])
        self.enc2 = DoubleConv(f[0], f[1])
        self.enc3 = DoubleConv(f[1], f[2])
        self.enc4 = DoubleConv(f[2], f[3])
        self.pool = nn.MaxPool3d(2)
        self.bottleneck = nn.Sequential(
            nn.Conv3d(f[3], f[3] * 2, 3, padding=1),  # expect: BN204
            nn.BatchNorm3d(f[3] * 2),
            nn.ReLU(inplace=True),
            nn.Conv3d(f[3] * 2, f[3], 3, padding=1, bias=False),
            nn.BatchNorm3d(f[3]),
            nn.ReLU(inplace=True),
        )
        self.up3 = nn.ConvTranspose3d(f[3], f[2], 2, stride=2)
        self.dec3 = DoubleConv(f[2] * 2, f[2])
        self.up2 = nn.ConvTranspose3d(f[2], f[1], 2, stride=2)
        self.dec2 = DoubleConv(f[1] * 2, f[1])
        self.up1 = nn.ConvTranspose3d(f[1], f[0], 2, stride=2)
        self.dec1 = DoubleConv(f[0] * 2, f[0])
        self.head = nn.Conv3d(f[0], n_classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.pool(e2))
        b = self.bottleneck(self.enc4(self.pool(e3)))
        d3 = self.dec3(torch.cat([self.up3(b), e3], 1))
        d2 = self.dec2(torch.cat([self.up2(d3), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.head(d1)


def soft_dice_loss(logits, target, eps=1e-5):
    prob = torch.sigmoid(logits)
    dims = (0, 2, 3, 4)
    inter = (prob * target).sum(dims)
    denom = prob.sum(dims) + target.sum(dims)
    return 1 - ((2 * inter + eps) / (denom + eps)).mean()


def sliding_window(net, img, patch, overlap=0.5):
    """img: (1, C, D, H, W), already padded so every dim >= patch."""
    _, _, d, h, w = img.shape
    stride = int(patch * (1 - overlap))
    out = torch.zeros((1, 3, d, h, w), device=img.device)
    cnt = torch.zeros((1, 1, d, h, w), device=img.device)
    zs = list(range(0, d - patch + 1, stride)) + [d - patch]
    ys = list(range(0, h - patch + 1, stride)) + [h - patch]
    xs = list(range(0, w - patch + 1, stride)) + [w - patch]
    for z in sorted(set(zs)):
        for y in sorted(set(ys)):
            for x in sorted(set(xs)):
                crop = img[:, :, z:z + patch, y:y + patch, x:x + patch]
                out[:, :, z:z + patch, y:y + patch, x:x + patch] += torch.sigmoid(net(crop))
                cnt[:, :, z:z + patch, y:y + patch, x:x + patch] += 1
    return out / cnt


def validate(model, loader, patch, device):
    model.eval()
    scores = []
    with torch.no_grad():
        for img, lab in loader:
            img, lab = img.to(device), lab.to(device)
            pad = [0, max(0, patch - img.shape[-1]), 0, max(0, patch - img.shape[-2]), 0, max(0, patch - img.shape[-3])]
            prob = sliding_window(model, F.pad(img, pad), patch)
            prob = prob[..., : img.shape[-3], : img.shape[-2], : img.shape[-1]]
            pred = (prob > 0.5).float()
            inter = (pred * lab).sum((0, 2, 3, 4))
            dice = (2 * inter + 1e-5) / (pred.sum((0, 2, 3, 4)) + lab.sum((0, 2, 3, 4)) + 1e-5)
            scores.append(dice.cpu())
    return torch.stack(scores).mean(0)


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda")
    torch.backends.cudnn.benchmark = True

    train_ds = BratsPatches(args.data_root, args.patch)
    val_ds = BratsVolumes(args.val_root)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, pin_memory=True)  # expect: BN301
    val_loader = DataLoader(val_ds, batch_size=1, shuffle=False, num_workers=2)

    model = UNet3D().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    scaler = torch.cuda.amp.GradScaler()
    best = 0.0

    for epoch in range(args.epochs):
        model.train()
        t0, running = time.time(), 0.0
        for img, lab in train_loader:
            img, lab = img.to(device, non_blocking=True), lab.to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            with torch.cuda.amp.autocast():
                logits = model(img)
                loss = F.binary_cross_entropy_with_logits(logits, lab) + soft_dice_loss(logits, lab)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            running += loss.item()
        sched.step()
        print(f"epoch {epoch:03d} loss {running / len(train_loader):.4f} ({time.time() - t0:.0f}s)")

        if epoch % 10 == 0 or epoch == args.epochs - 1:
            wt, tc, et = validate(model, val_loader, args.patch, device).tolist()
            mean = (wt + tc + et) / 3
            print(f"  val dice WT {wt:.3f} TC {tc:.3f} ET {et:.3f}")
            if mean > best:
                best = mean
                torch.save(model.state_dict(), os.path.join(args.out, "best.pt"))

    torch.save(model.state_dict(), os.path.join(args.out, "last.pt"))


if __name__ == "__main__":
    main()
