#!/usr/bin/env python3
# PROMISE12 prostate MRI segmentation -- 2D slice U-Net, single GPU.
# (started from our cluster DDP script, trimmed down for the workstation)
#
#   python prostate_unet.py --train
#   python prostate_unet.py --predict --ckpt runs/prostate/best.pt --case Case03
import argparse
import os

import numpy as np
import SimpleITK as sitk
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

ROOT = "/data/PROMISE12"


def load_mhd(path):
    return sitk.GetArrayFromImage(sitk.ReadImage(path)).astype(np.float32)


def slices_for(cases, size=256):
    xs, ys = [], []
    for c in cases:
        img = load_mhd(os.path.join(ROOT, f"{c}.mhd"))
        seg = load_mhd(os.path.join(ROOT, f"{c}_segmentation.mhd"))
        img = (img - img.mean()) / (img.std() + 1e-6)
        t_img = F.interpolate(torch.from_numpy(img)[:, None], size=(size, size), mode="bilinear", align_corners=False)
        t_seg = F.interpolate(torch.from_numpy(seg)[:, None], size=(size, size), mode="nearest")
        xs.append(t_img)
        ys.append(t_seg)
    return torch.cat(xs), torch.cat(ys)


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.n1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.n2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.n2(self.c2(F.relu(self.n1(self.c1(x))))))


class Bridge(nn.Module):
    """Dilated context module at the bottleneck."""

    def __init__(self):
        super().__init__()
        self.dil = nn.Conv2d(256, 256, 3, padding=2, dilation=2, bias=False)
        self.dil_bn = nn.BatchNorm2d(256)
        self.reduce = nn.Conv2d(512, 256, 1, bias=False)
        self.reduce_bn = nn.BatchNorm2d(512)  # expect: BN201

    def forward(self, x):
        y = F.relu(self.dil_bn(self.dil(x)))
        return F.relu(self.reduce_bn(self.reduce(torch.cat([x, y], 1))))


class ProstateUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.e1, self.e2, self.e3, self.e4 = Block(1, 32), Block(32, 64), Block(64, 128), Block(128, 256)
        self.bridge = Bridge()
        self.d3, self.d2, self.d1 = Block(256 + 128, 128), Block(128 + 64, 64), Block(64 + 32, 32)
        self.out = nn.Conv2d(32, 1, 1)

    def forward(self, x):
        e1 = self.e1(x)
        e2 = self.e2(F.max_pool2d(e1, 2))
        e3 = self.e3(F.max_pool2d(e2, 2))
        b = self.bridge(self.e4(F.max_pool2d(e3, 2)))
        up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)
        d = self.d3(torch.cat([up(b), e3], 1))
        d = self.d2(torch.cat([up(d), e2], 1))
        d = self.d1(torch.cat([up(d), e1], 1))
        return self.out(d)


@torch.no_grad()
def predict_with_tta(model, vol):
    """vol: (S, 1, H, W). Averages identity + horizontal + vertical flips."""
    probs = torch.zeros_like(vol)
    for dims in ([], [3], [2]):
        x = vol.flip(dims) if dims else vol
        p = torch.sigmoid(model(x))  # expect: BN101
        probs += p.flip(dims) if dims else p
    return probs / 3


def dice(a, b):
    return (2 * (a * b).sum() / (a.sum() + b.sum() + 1e-6)).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--predict", action="store_true")
    ap.add_argument("--ckpt", default="runs/prostate/best.pt")
    ap.add_argument("--case", default="Case03")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=120)
    args = ap.parse_args()

    device = torch.device("cuda")
    model = ProstateUNet()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
    model = model.to(device)

    if args.train:
        cases = [f"Case{i:02d}" for i in range(50)]
        xtr, ytr = slices_for(cases[:40])
        xva, yva = slices_for(cases[40:])
        train_loader = DataLoader(TensorDataset(xtr, ytr), batch_size=args.batch_size, shuffle=True, drop_last=True)
        val_loader = DataLoader(TensorDataset(xva, yva), batch_size=32)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        best = 0.0
        os.makedirs(os.path.dirname(args.ckpt), exist_ok=True)
        for ep in range(args.epochs):
            model.train()
            for x, y in train_loader:
                x, y = x.to(device), y.to(device)
                loss = F.binary_cross_entropy_with_logits(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                d = np.mean([dice((torch.sigmoid(model(x.to(device))) > 0.5).float(), y.to(device))
                             for x, y in val_loader])
            print(f"epoch {ep}: val dice {d:.4f}")
            if d > best:
                best = d
                torch.save(model.state_dict(), args.ckpt)

    elif args.predict:
        model.load_state_dict(torch.load(args.ckpt, map_location=device))
        img = load_mhd(os.path.join(ROOT, f"{args.case}.mhd"))
        h, w = img.shape[1:]
        img = (img - img.mean()) / (img.std() + 1e-6)
        vol = F.interpolate(torch.from_numpy(img)[:, None], size=(256, 256), mode="bilinear").to(device)
        prob = predict_with_tta(model, vol)
        mask = F.interpolate(prob, size=(h, w), mode="bilinear")[:, 0] > 0.5
        out = sitk.GetImageFromArray(mask.cpu().numpy().astype(np.uint8))
        sitk.WriteImage(out, f"{args.case}_pred.mhd")
        print("saved", f"{args.case}_pred.mhd")


if __name__ == "__main__":
    main()
