"""Evaluate PCK on COCO val with flip-test (single GPU)."""
import argparse

import torch
from torch.utils.data import DataLoader

import configs as C
from datasets import COCOKeypoints
from models import PoseNet
from utils import pck

FLIP_PAIRS = [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)]


def flip_back(hm):
    hm = hm.flip(-1)
    out = hm.clone()
    for a, b in FLIP_PAIRS:
        out[:, a], out[:, b] = hm[:, b], hm[:, a]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--no-flip", action="store_true")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    loader = DataLoader(COCOKeypoints(C.COCO_ROOT, C.VAL_ANN, train=False), batch_size=64,
                        num_workers=C.WORKERS)
    model = PoseNet()
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    model = model.to(device)
    model.eval()

    total, n = 0.0, 0
    with torch.inference_mode():
        for img, hm, vis in loader:
            img = img.to(device)
            pred, _ = model(img)
            if not args.no_flip:
                pred_f, _ = model(img.flip(-1))
                pred = 0.5 * (pred + flip_back(pred_f))
            total += pck(pred, hm.to(device), vis.to(device)).item() * img.size(0)
            n += img.size(0)
    print(f"PCK@0.5: {total / n:.4f}")


if __name__ == "__main__":
    main()
