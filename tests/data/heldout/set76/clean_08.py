#!/usr/bin/env python3
"""Sliding-window nucleus segmentation on large microscopy images.

Tiles are predicted with overlap and averaged; the result is thresholded
into a binary mask and saved as a TIFF next to the input.
"""
import argparse
from pathlib import Path

import numpy as np
import tifffile
import torch
import torch.nn as nn
import torch.nn.functional as F


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class SmallUNet(nn.Module):
    def __init__(self, in_ch=1, base=32):
        super().__init__()
        self.enc1 = double_conv(in_ch, base)
        self.enc2 = double_conv(base, base * 2)
        self.enc3 = double_conv(base * 2, base * 4)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.dec2 = double_conv(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.dec1 = double_conv(base * 2, base)
        self.head = nn.Conv2d(base, 1, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(e3), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)


def prepare_model(weights, device):
    model = SmallUNet()
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    model.to(device)
    model.eval()
    return model


@torch.no_grad()
def sliding_window_predict(model, image, tile=256, overlap=64, batch=16):
    device = next(model.parameters()).device
    h, w = image.shape
    step = tile - overlap
    pad_h = (step - (h - tile) % step) % step if h > tile else tile - h
    pad_w = (step - (w - tile) % step) % step if w > tile else tile - w
    x = torch.from_numpy(image).float()[None, None]
    x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect").to(device)
    H, W = x.shape[-2:]

    prob = torch.zeros(1, 1, H, W, device=device)
    count = torch.zeros(1, 1, H, W, device=device)
    origins = [(y, xx) for y in range(0, H - tile + 1, step) for xx in range(0, W - tile + 1, step)]
    for i in range(0, len(origins), batch):
        chunk = origins[i:i + batch]
        tiles = torch.cat([x[..., y:y + tile, xx:xx + tile] for y, xx in chunk])
        out = torch.sigmoid(model(tiles))
        for (y, xx), o in zip(chunk, out):
            prob[..., y:y + tile, xx:xx + tile] += o
            count[..., y:y + tile, xx:xx + tile] += 1
    return (prob / count.clamp_min(1))[0, 0, :h, :w].cpu().numpy()


def normalise(img):
    lo, hi = np.percentile(img, (1, 99.8))
    return np.clip((img.astype(np.float32) - lo) / max(hi - lo, 1e-6), 0, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--weights", required=True)
    p.add_argument("images", nargs="+")
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--tile", type=int, default=256)
    p.add_argument("--overlap", type=int, default=64)
    args = p.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = prepare_model(args.weights, device)
    for path in map(Path, args.images):
        img = normalise(tifffile.imread(path))
        if img.ndim != 2:
            raise SystemExit(f"{path}: expected a single-channel 2D image, got shape {img.shape}")
        prob = sliding_window_predict(model, img, tile=args.tile, overlap=args.overlap)
        mask = (prob >= args.threshold).astype(np.uint8) * 255
        out = path.with_name(path.stem + "_mask.tif")
        tifffile.imwrite(out, mask, compression="zlib")
        print(f"{path.name}: {mask.mean() / 255 * 100:.1f}% foreground -> {out.name}")


if __name__ == "__main__":
    main()
