"""Sliding-window inference on full CT volumes, writes label maps as .npy.

    python infer.py /checkpoints/unet3d_btcv/epoch_300.pt /data/btcv/test /tmp/preds
"""
from __future__ import annotations

import argparse
import glob
import itertools
import os

import numpy as np
import torch

from nets import load_for_inference

MODEL_CFG = {"in_channels": 1, "num_classes": 14, "base": 24, "depth": 4}
PATCH = (96, 96, 96)
OVERLAP = 0.5


def window_starts(size: int, patch: int, stride: int):
    if size <= patch:
        return [0]
    starts = list(range(0, size - patch, stride))
    starts.append(size - patch)
    return starts


def sliding_window(model: torch.nn.Module, vol: torch.Tensor, num_classes: int,
                   sw_batch: int = 4) -> torch.Tensor:
    _, _, D, H, W = vol.shape
    stride = [max(int(p * (1 - OVERLAP)), 1) for p in PATCH]
    coords = list(itertools.product(window_starts(D, PATCH[0], stride[0]),
                                    window_starts(H, PATCH[1], stride[1]),
                                    window_starts(W, PATCH[2], stride[2])))
    out = torch.zeros(1, num_classes, D, H, W, device=vol.device)
    count = torch.zeros(1, 1, D, H, W, device=vol.device)
    for i in range(0, len(coords), sw_batch):
        chunk = coords[i:i + sw_batch]
        patches = torch.cat([vol[:, :, z:z + PATCH[0], y:y + PATCH[1], x:x + PATCH[2]] for z, y, x in chunk])
        probs = model(patches).softmax(1)
        for (z, y, x), p in zip(chunk, probs):
            out[0, :, z:z + PATCH[0], y:y + PATCH[1], x:x + PATCH[2]] += p
            count[0, :, z:z + PATCH[0], y:y + PATCH[1], x:x + PATCH[2]] += 1
    return out / count.clamp_min(1)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("input_dir")
    p.add_argument("output_dir")
    p.add_argument("--tta", action="store_true")
    args = p.parse_args()
    os.makedirs(args.output_dir, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = load_for_inference(args.checkpoint, MODEL_CFG, device)
    with torch.inference_mode():
        for path in sorted(glob.glob(os.path.join(args.input_dir, "*.npy"))):
            vol = torch.from_numpy(np.load(path).astype(np.float32))[None, None].to(device)
            probs = sliding_window(model, vol, MODEL_CFG["num_classes"])
            if args.tta:
                for axis in (2, 3, 4):
                    flipped = sliding_window(model, vol.flip(axis), MODEL_CFG["num_classes"])
                    probs += flipped.flip(axis)
                probs /= 4
            seg = probs.argmax(1)[0].to(torch.uint8).cpu().numpy()
            np.save(os.path.join(args.output_dir, os.path.basename(path)), seg)
            print(f"{os.path.basename(path)}: {seg.shape}, labels {np.unique(seg).tolist()}")


if __name__ == "__main__":
    main()
