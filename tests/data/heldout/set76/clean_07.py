#!/usr/bin/env python3
"""Flip / multi-scale test-time augmentation for the DeepLabV3 road-scene
segmenter; reports mIoU with and without TTA on the validation split.
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.models.segmentation import deeplabv3_resnet50

from roadseg.data import RoadSceneDataset  # project dataset: (image, mask) pairs

NUM_CLASSES = 19
IGNORE = 255


def confusion(pred, target, n):
    keep = target != IGNORE
    idx = target[keep] * n + pred[keep]
    return torch.bincount(idx, minlength=n * n).reshape(n, n)


def miou(conf):
    conf = conf.double()
    inter = conf.diag()
    union = conf.sum(0) + conf.sum(1) - inter
    iou = inter / union.clamp_min(1)
    return float(iou[union > 0].mean())


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--scales", type=float, nargs="+", default=[0.75, 1.0, 1.25])
    p.add_argument("--no-flip", action="store_true")
    p.add_argument("--batch-size", type=int, default=4)
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    if args.checkpoint:
        model = deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=NUM_CLASSES, aux_loss=True)
        state = torch.load(args.checkpoint, map_location="cpu")
        model.load_state_dict(state["model"])
    else:
        print("no checkpoint: evaluating the randomly initialised baseline")
        model = deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=NUM_CLASSES)
    model.eval()
    model.to(device)

    loader = DataLoader(RoadSceneDataset(args.data, split="val"), batch_size=args.batch_size,
                        shuffle=False, num_workers=4)
    flips = [False] if args.no_flip else [False, True]
    conf_plain = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.long, device=device)
    conf_tta = torch.zeros_like(conf_plain)

    with torch.inference_mode():
        for images, masks in loader:
            images, masks = images.to(device), masks.to(device)
            h, w = images.shape[-2:]
            acc = torch.zeros(images.size(0), NUM_CLASSES, h, w, device=device)
            for scale in args.scales:
                size = (int(round(h * scale / 8) * 8), int(round(w * scale / 8) * 8))
                scaled = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
                for flip in flips:
                    inp = torch.flip(scaled, dims=[3]) if flip else scaled
                    logits = model(inp)["out"]
                    if flip:
                        logits = torch.flip(logits, dims=[3])
                    logits = F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False)
                    probs = logits.softmax(dim=1)
                    acc += probs
                    if scale == 1.0 and not flip:
                        conf_plain += confusion(probs.argmax(1).flatten(), masks.flatten(), NUM_CLASSES)
            conf_tta += confusion(acc.argmax(1).flatten(), masks.flatten(), NUM_CLASSES)

    print(f"mIoU single-scale: {miou(conf_plain) * 100:.2f}")
    print(f"mIoU TTA ({len(args.scales)} scales x {len(flips)} flips): {miou(conf_tta) * 100:.2f}")
    np.save("confusion_tta.npy", conf_tta.cpu().numpy())


if __name__ == "__main__":
    main()
