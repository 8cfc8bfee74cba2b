#!/usr/bin/env python
"""Tiny U-Net for binary segmentation of microscopy tiles.

    python clean_07.py train --data tiles/
    python clean_07.py predict --ckpt unet.pt --images slides/   # full slides, variable size

Prediction runs one image at a time because slides have different sizes.
"""
import argparse
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, base=32):
        super().__init__()
        self.d1 = double_conv(1, base)
        self.d2 = double_conv(base, base * 2)
        self.d3 = double_conv(base * 2, base * 4)
        self.u2 = double_conv(base * 4 + base * 2, base * 2)
        self.u1 = double_conv(base * 2 + base, base)
        self.out = nn.Conv2d(base, 1, 1)

    def forward(self, x):
        c1 = self.d1(x)
        c2 = self.d2(F.max_pool2d(c1, 2))
        c3 = self.d3(F.max_pool2d(c2, 2))
        x = F.interpolate(c3, size=c2.shape[-2:], mode="bilinear", align_corners=False)
        x = self.u2(torch.cat([x, c2], 1))
        x = F.interpolate(x, size=c1.shape[-2:], mode="bilinear", align_corners=False)
        x = self.u1(torch.cat([x, c1], 1))
        return self.out(x)


class Tiles(Dataset):
    def __init__(self, root):
        self.imgs = sorted(Path(root, "img").glob("*.png"))
        self.root = Path(root)

    def __len__(self):
        return len(self.imgs)

    def __getitem__(self, i):
        p = self.imgs[i]
        img = np.asarray(Image.open(p).convert("L"), dtype=np.float32) / 255.0
        mask = np.asarray(Image.open(self.root / "mask" / p.name), dtype=np.float32) > 0
        return torch.from_numpy(img)[None], torch.from_numpy(mask.astype(np.float32))[None]


class Slides(Dataset):
    def __init__(self, folder):
        self.paths = sorted(p for p in Path(folder).iterdir() if p.suffix in {".png", ".tif"})

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        img = np.asarray(Image.open(self.paths[i]).convert("L"), dtype=np.float32) / 255.0
        return torch.from_numpy(img)[None], self.paths[i].name


def train(args):
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    loader = DataLoader(Tiles(args.data), batch_size=16, shuffle=True, num_workers=4, drop_last=True)
    net = UNet().to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        net.train()
        for x, y in loader:
            x, y = x.to(dev), y.to(dev)
            loss = F.binary_cross_entropy_with_logits(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")
    torch.save(net.state_dict(), args.ckpt)


def predict(args):
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    net = UNet().to(dev)
    net.load_state_dict(torch.load(args.ckpt, map_location=dev))
    net.eval()
    loader = DataLoader(Slides(args.images), batch_size=1, num_workers=2)
    os.makedirs(args.out, exist_ok=True)
    with torch.inference_mode():
        for img, (name,) in loader:
            prob = torch.sigmoid(net(img.to(dev)))[0, 0].cpu().numpy()
            Image.fromarray((prob > 0.5).astype(np.uint8) * 255).save(os.path.join(args.out, name))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--epochs", type=int, default=50)
    t.add_argument("--ckpt", default="unet.pt")
    pr = sub.add_parser("predict")
    pr.add_argument("--ckpt", default="unet.pt")
    pr.add_argument("--images", required=True)
    pr.add_argument("--out", default="masks")
    args = ap.parse_args()
    {"train": train, "predict": predict}[args.cmd](args)
