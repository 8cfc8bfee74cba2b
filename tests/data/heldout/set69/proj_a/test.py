"""Evaluate a trained segmentor with optional multi-scale + flip testing.

    python test.py --config pspnet_r18_cityscapes --ckpt work_dirs/pspnet_r18_cityscapes/best.pth \
        --scales 0.75 1.0 1.25 --flip --save-vis vis/
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader

from configs import get_config
from models import build_model
from train import SegFolder, intersect_union

CITYSCAPES_NAMES = [
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
    "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
    "motorcycle", "bicycle",
]


def colorize(pred, num_classes):
    rng = np.random.RandomState(7)
    palette = rng.randint(0, 255, size=(max(num_classes, 256), 3)).astype(np.uint8)
    return Image.fromarray(palette[pred])


@torch.no_grad()
def inference(model, img, scales=(1.0,), flip=False):
    h, w = img.shape[-2:]
    prob = None
    for s in scales:
        x = F.interpolate(img, scale_factor=s, mode="bilinear", align_corners=False) if s != 1.0 else img
        batch = torch.cat([x, x.flip(-1)], dim=0) if flip else x
        out = model(batch)  # expect: BN101
        if isinstance(out, tuple):
            out = out[0]
        out = F.interpolate(out, size=(h, w), mode="bilinear", align_corners=False).softmax(1)
        if flip:
            out = out[: img.size(0)] + out[img.size(0):].flip(-1)
        prob = out if prob is None else prob + out
    return prob


def format_table(names, ious):
    width = max(len(n) for n in names) + 2
    lines = [f"{'class':<{width}}IoU", "-" * (width + 8)]
    for name, iou in zip(names, ious):
        lines.append(f"{name:<{width}}{100 * iou:6.2f}")
    lines.append("-" * (width + 8))
    lines.append(f"{'mean':<{width}}{100 * float(np.mean(ious)):6.2f}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0])
    ap.add_argument("--flip", action="store_true")
    ap.add_argument("--save-vis", default="")
    ap.add_argument("--max-vis", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()

    cfg = get_config(args.config)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_model(cfg.model)
    state = torch.load(args.ckpt, map_location="cpu")
    model.load_state_dict(state["model"])
    model = model.to(device)

    dataset = SegFolder(cfg.data, cfg.data.val_split, train=False)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=False, num_workers=4)
    n = cfg.model.num_classes
    inter = torch.zeros(n, dtype=torch.long, device=device)
    union = torch.zeros(n, dtype=torch.long, device=device)
    if args.save_vis:
        os.makedirs(args.save_vis, exist_ok=True)

    for idx, (img, lbl) in enumerate(loader):
        img, lbl = img.to(device), lbl.to(device)
        pred = inference(model, img, args.scales, args.flip).argmax(1)
        i, u = intersect_union(pred, lbl, n, cfg.data.ignore_index)
        inter += i
        union += u
        for j in range(pred.size(0)):
            k = idx * args.batch_size + j
            if args.save_vis and k < args.max_vis:
                name = os.path.splitext(os.path.basename(dataset.images[k]))[0]
                colorize(pred[j].cpu().numpy(), n).save(os.path.join(args.save_vis, f"{name}_pred.png"))
        if idx % 20 == 0:
            running = (inter.float() / union.clamp(min=1).float()).mean().item()
            print(f"[{idx}/{len(loader)}] running mIoU {100 * running:.2f}")

    ious = (inter.float() / union.clamp(min=1).float()).tolist()
    names = CITYSCAPES_NAMES if n == len(CITYSCAPES_NAMES) else [f"class_{c}" for c in range(n)]
    print(format_table(names, ious))
    out_json = os.path.splitext(args.ckpt)[0] + "_test.json"
    with open(out_json, "w") as fh:
        json.dump({"scales": args.scales, "flip": args.flip, "miou": float(np.mean(ious)),
                   "per_class": dict(zip(names, ious))}, fh, indent=2)


if __name__ == "__main__":
    main()
