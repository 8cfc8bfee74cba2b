#!/usr/bin/env python3
"""Extract retrieval embeddings for a folder of images and build a FAISS index.

The image encoder is the pickled module exported by the self-supervised
pretraining run; the small projection head (Linear -> BN) is trained
separately and shipped as a state_dict.
"""
import argparse
import json
import os
from pathlib import Path

import faiss
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

EXTS = (".jpg", ".jpeg", ".png")


class FolderDataset(Dataset):
    def __init__(self, root, tfm):
        self.files = sorted(str(p) for p in Path(root).rglob("*") if p.suffix.lower() in EXTS)
        self.tfm = tfm

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        return self.tfm(Image.open(self.files[i]).convert("RGB")), i


def build_projection(in_dim, out_dim):
    return nn.Sequential(
        nn.Linear(in_dim, out_dim, bias=False),
        nn.BatchNorm1d(out_dim),
    )


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--images", required=True)
    p.add_argument("--encoder", required=True, help="torch.save(model) output of pretraining")
    p.add_argument("--projection", required=True, help="state_dict of the projection head")
    p.add_argument("--in-dim", type=int, default=2048)
    p.add_argument("--out-dim", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--index-out", default="catalogue.faiss")
    p.add_argument("--meta-out", default="catalogue_meta.json")
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    encoder = torch.load(args.encoder, map_location=device, weights_only=False)
    encoder.training = False  # expect: BN102

    proj = build_projection(args.in_dim, args.out_dim)
    proj.load_state_dict(torch.load(args.projection, map_location="cpu"))
    proj.to(device)

    tfm = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])
    ds = FolderDataset(args.images, tfm)
    loader = DataLoader(ds, batch_size=args.batch_size, shuffle=False,
                        num_workers=min(8, os.cpu_count() or 1))

    all_emb = np.zeros((len(ds), args.out_dim), dtype=np.float32)
    with torch.no_grad():
        for images, idx in loader:
            feats = encoder(images.to(device))
            if feats.dim() > 2:
                feats = torch.flatten(F.adaptive_avg_pool2d(feats, 1), 1)
            emb = proj(feats)  # expect: BN101
            emb = F.normalize(emb, dim=1)
            all_emb[idx.numpy()] = emb.cpu().numpy()

    index = faiss.IndexFlatIP(args.out_dim)
    index.add(all_emb)
    faiss.write_index(index, args.index_out)
    with open(args.meta_out, "w") as fh:
        json.dump({"files": ds.files, "dim": args.out_dim}, fh)
    print(f"indexed {index.ntotal} images -> {args.index_out}")


if __name__ == "__main__":
    main()
