#!/usr/bin/env python3
"""Near-duplicate detection for the photo archive.

Embeds every image with the released copy-detection descriptor model (a
whole pickled nn.Module produced by `torch.save(model)` in the release job),
then reports pairs whose cosine similarity exceeds a threshold.
"""
import argparse
import csv
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms


class Photos(Dataset):
    def __init__(self, root, size):
        self.paths = sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
        self.tf = transforms.Compose([
            transforms.Resize((size, size)),
            transforms.ToTensor(),
            transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        ])

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        with Image.open(self.paths[i]) as im:
            return self.tf(im.convert("RGB")), i


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--archive", required=True)
    p.add_argument("--descriptor", required=True, help="pickled descriptor module (.pt)")
    p.add_argument("--size", type=int, default=320)
    p.add_argument("--threshold", type=float, default=0.92)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--block", type=int, default=4096, help="rows per similarity block")
    p.add_argument("--out", default="near_duplicates.csv")
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    descriptor = torch.load(args.descriptor, map_location=device, weights_only=False)

    ds = Photos(args.archive, args.size)
    loader = DataLoader(ds, batch_size=args.batch_size, num_workers=8, shuffle=False)
    emb = None
    with torch.inference_mode():
        for images, idx in loader:
            d = F.normalize(descriptor(images.to(device)).float(), dim=1).cpu()
            if emb is None:
                emb = torch.empty(len(ds), d.shape[1])
            emb[idx] = d
    if emb is None:
        raise SystemExit("no images found")

    pairs = []
    emb_dev = emb.to(device)
    for start in range(0, len(ds), args.block):
        block = emb_dev[start:start + args.block]
        sim = block @ emb_dev.t()
        rows, cols = torch.nonzero(sim >= args.threshold, as_tuple=True)
        for r, c in zip(rows.tolist(), cols.tolist()):
            i = start + r
            if c > i:
                pairs.append((i, c, float(sim[r, c])))

    pairs.sort(key=lambda t: -t[2])
    with open(args.out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["image_a", "image_b", "similarity"])
        for i, j, s in pairs:
            w.writerow([ds.paths[i], ds.paths[j], f"{s:.4f}"])
    np.save(Path(args.out).with_suffix(".npy"), emb.numpy())
    print(f"{len(ds)} images, {len(pairs)} near-duplicate pairs -> {args.out}")


if __name__ == "__main__":
    main()
