"""Batch inference over a folder of leaf photos; writes a CSV of predictions.

    python predict.py --ckpt checkpoints/leafnet.pth --images ./field_photos --out preds.csv
"""
import argparse
import csv
import os

import torch
import torch.nn.functional as F
import torchvision.transforms as T
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from engine import load_checkpoint
from models import build_model

MEAN, STD = [0.466, 0.489, 0.410], [0.178, 0.152, 0.194]
EXTS = (".jpg", ".jpeg", ".png")


class ImageList(Dataset):
    def __init__(self, folder):
        self.paths = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(EXTS))
        self.tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.tf(Image.open(self.paths[i]).convert("RGB")), self.paths[i]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--images", required=True)
    p.add_argument("--classes", default="classes.txt")
    p.add_argument("--variant", default="small")
    p.add_argument("--out", default="predictions.csv")
    p.add_argument("--topk", type=int, default=3)
    args = p.parse_args()

    with open(args.classes) as f:
        classes = [line.strip() for line in f if line.strip()]
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_model(args.variant, num_classes=len(classes))
    load_checkpoint(args.ckpt, model, use_ema=True)
    model.to(device)

    loader = DataLoader(ImageList(args.images), batch_size=32, num_workers=4)
    rows = []
    with torch.inference_mode():
        for images, paths in loader:
            probs = F.softmax(model(images.to(device)), dim=1)  # expect: BN101
            top_p, top_i = probs.topk(args.topk, dim=1)
            for path, ps, idx in zip(paths, top_p.tolist(), top_i.tolist()):
                rows.append([os.path.basename(path)] + [f"{classes[i]}:{q:.3f}" for i, q in zip(idx, ps)])

    with open(args.out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image"] + [f"top{k + 1}" for k in range(args.topk)])
        writer.writerows(rows)
    print(f"wrote {len(rows)} predictions to {args.out}")


if __name__ == "__main__":
    main()
