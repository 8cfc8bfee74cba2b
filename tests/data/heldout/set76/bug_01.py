#!/usr/bin/env python3
"""Batch prediction over a folder of images with a fine-tuned ResNet-50.

Writes one CSV row per image with the top-k labels and their probabilities.
Usage:
    python predict_folder.py --images data/unlabelled --checkpoint runs/best.pth \
        --labels labels.json --output predictions.csv
"""
import argparse
import csv
import json
import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import models, transforms

LOG = logging.getLogger("batch_predict")

IMG_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class ImageListDataset(Dataset):
    def __init__(self, root, transform):
        self.paths = sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in IMG_EXTS)
        self.transform = transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, idx):
        path = self.paths[idx]
        with Image.open(path) as img:
            img = img.convert("RGB")
        return self.transform(img), str(path)


def build_model(num_classes, checkpoint, device):
    model = models.resnet50(weights=None)
    model.fc = torch.nn.Linear(model.fc.in_features, num_classes)
    state = torch.load(checkpoint, map_location="cpu")
    if "state_dict" in state:
        state = state["state_dict"]
    state = {k.replace("module.", "", 1): v for k, v in state.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        LOG.warning("missing keys: %s, unexpected keys: %s", missing, unexpected)
    return model.to(device)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--images", required=True)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--labels", required=True, help="JSON list of class names")
    p.add_argument("--output", default="predictions.csv")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--topk", type=int, default=5)
    p.add_argument("--img-size", type=int, default=224)
    return p.parse_args()


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    with open(args.labels) as fh:
        labels = json.load(fh)

    tfm = transforms.Compose([
        transforms.Resize(int(args.img_size * 1.14)),
        transforms.CenterCrop(args.img_size),
        transforms.ToTensor(),
        transforms.Normalize(MEAN, STD),
    ])
    dataset = ImageListDataset(args.images, tfm)
    if len(dataset) == 0:
        LOG.error("no images found under %s", args.images)
        return
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=False,
                        num_workers=args.workers, pin_memory=device.type == "cuda")

    model = build_model(len(labels), args.checkpoint, device)
    LOG.info("loaded %s, predicting %d images", args.checkpoint, len(dataset))

    topk = min(args.topk, len(labels))
    n_done = 0
    with torch.no_grad(), open(args.output, "w", newline="") as fh:
        writer = csv.writer(fh)
        header = ["path"]
        for k in range(topk):
            header += [f"label_{k + 1}", f"prob_{k + 1}"]
        writer.writerow(header)

        for images, paths in loader:
            images = images.to(device, non_blocking=True)
            logits = model(images)  # expect: BN101
            probs = F.softmax(logits.float(), dim=1)
            top_p, top_i = probs.topk(topk, dim=1)
            for path, ps, idxs in zip(paths, top_p.tolist(), top_i.tolist()):
                row = [path]
                for p_, i_ in zip(ps, idxs):
                    row += [labels[i_], f"{p_:.4f}"]
                writer.writerow(row)
            n_done += len(paths)
            if n_done % (args.batch_size * 20) == 0:
                LOG.info("%d / %d", n_done, len(dataset))

    LOG.info("wrote %s (%d rows)", args.output, n_done)


if __name__ == "__main__":
    main()
