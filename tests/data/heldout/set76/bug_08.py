#!/usr/bin/env python3
"""Sliding-window inference of a land-cover segmentation network on large
GeoTIFF tiles.  Overlapping windows are blended with a Gaussian weight map.

The network is stored as a whole pickled module by the training pipeline.
"""
import argparse
import math
from pathlib import Path

import numpy as np
import rasterio
import torch
import torch.nn.functional as F

CLASS_NAMES = ["background", "building", "road", "water", "forest", "farmland"]


def gaussian_weight(size, sigma_scale=0.125, device="cpu"):
    coords = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2.0
    sigma = size * sigma_scale
    g = torch.exp(-(coords ** 2) / (2 * sigma ** 2))
    w = torch.outer(g, g)
    return w / w.max()


def window_starts(length, window, stride):
    if length <= window:
        return [0]
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] != length - window:
        starts.append(length - window)
    return starts


def load_tile(path, bands):
    with rasterio.open(path) as src:
        arr = src.read(bands).astype(np.float32)
        profile = src.profile
    # per-band standardisation with the statistics used at training time
    mean = arr.reshape(arr.shape[0], -1).mean(axis=1)[:, None, None]
    std = arr.reshape(arr.shape[0], -1).std(axis=1)[:, None, None] + 1e-6
    return (arr - mean) / std, profile


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, help="whole-module .pt file")
    p.add_argument("--tiles", nargs="+", required=True)
    p.add_argument("--out-dir", default="predictions")
    p.add_argument("--window", type=int, default=512)
    p.add_argument("--overlap", type=float, default=0.25)
    p.add_argument("--bands", type=int, nargs="+", default=[1, 2, 3, 4])
    p.add_argument("--batch", type=int, default=8)
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net = torch.load(args.model, map_location=device, weights_only=False)
    net.to(device).eval  # expect: BN102

    n_cls = len(CLASS_NAMES)
    stride = max(1, int(args.window * (1.0 - args.overlap)))
    weight = gaussian_weight(args.window, device=device)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    for tile_path in args.tiles:
        image, profile = load_tile(tile_path, args.bands)
        _, h, w = image.shape
        pad_h = max(0, args.window - h)
        pad_w = max(0, args.window - w)
        x = torch.from_numpy(image).unsqueeze(0).to(device)
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect")
        H, W = x.shape[-2:]

        acc = torch.zeros(n_cls, H, W, device=device)
        norm = torch.zeros(H, W, device=device)
        coords = [(y0, x0) for y0 in window_starts(H, args.window, stride)
                  for x0 in window_starts(W, args.window, stride)]

        with torch.no_grad():
            for i in range(0, len(coords), args.batch):
                chunk = coords[i:i + args.batch]
                patches = torch.cat([x[:, :, y0:y0 + args.window, x0:x0 + args.window] for y0, x0 in chunk])
                probs = torch.softmax(net(patches), dim=1)
                for (y0, x0), p in zip(chunk, probs):
                    acc[:, y0:y0 + args.window, x0:x0 + args.window] += p * weight
                    norm[y0:y0 + args.window, x0:x0 + args.window] += weight

        probs_full = (acc / norm.clamp_min(1e-6))[:, :h, :w]
        labels = probs_full.argmax(dim=0).to(torch.uint8).cpu().numpy()

        profile.update(count=1, dtype="uint8", compress="lzw", nodata=255)
        out_path = out_dir / (Path(tile_path).stem + "_landcover.tif")
        with rasterio.open(out_path, "w", **profile) as dst:
            dst.write(labels, 1)
        n_windows = len(coords)
        print(f"{tile_path}: {n_windows} windows, {math.prod(labels.shape)} px -> {out_path}")


if __name__ == "__main__":
    main()
