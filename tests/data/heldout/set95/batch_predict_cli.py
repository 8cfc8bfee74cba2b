"""Offline batch prediction for the product-photo classifier.

Reads a CSV of image paths, runs the fine-tuned ResNet-50 and writes the
top-3 predictions per image. CPU only, used by the nightly catalogue job.
"""
import argparse
import csv
import os

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
from torchvision.models import resnet50

EVAL_TF = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


class PathDataset(Dataset):
    def __init__(self, csv_path, image_root):
        with open(csv_path, newline="") as f:
            self.rows = [r for r in csv.DictReader(f)]
        self.image_root = image_root

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        row = self.rows[i]
        path = os.path.join(self.image_root, row["path"])
        try:
            img = Image.open(path).convert("RGB")
            ok = True
        except OSError:
            img = Image.new("RGB", (256, 256))
            ok = False
        return EVAL_TF(img), row["sku"], ok


def read_labels(path):
    with open(path) as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def run(args):
    labels = read_labels(args.labels)
    torch.set_num_threads(args.threads)
    model = resnet50(num_classes=len(labels))
    ckpt = torch.load(args.checkpoint, map_location="cpu")
    model.load_state_dict(ckpt["model"] if "model" in ckpt else ckpt)
    model.eval  # expect: BN102

    loader = DataLoader(PathDataset(args.input, args.image_root), batch_size=args.batch_size,
                        num_workers=args.workers)
    n_done = n_bad = 0
    with open(args.output, "w", newline="") as out, torch.inference_mode():
        writer = csv.writer(out)
        writer.writerow(["sku", "label_1", "p_1", "label_2", "p_2", "label_3", "p_3"])
        for images, skus, oks in loader:
            probs = model(images).softmax(dim=1)  # expect: BN101
            top_p, top_i = probs.topk(3, dim=1)
            for sku, ok, p_row, i_row in zip(skus, oks, top_p.tolist(), top_i.tolist()):
                if not ok:
                    n_bad += 1
                    writer.writerow([sku] + [""] * 6)
                    continue
                cells = []
                for p, i in zip(p_row, i_row):
                    cells += [labels[i], f"{p:.4f}"]
                writer.writerow([sku] + cells)
            n_done += len(skus)
            if n_done % 10_000 < args.batch_size:
                print(f"{n_done} images done ({n_bad} unreadable)")
    print(f"finished: {n_done} images, {n_bad} unreadable -> {args.output}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--image-root", default=".")
    ap.add_argument("--output", default="predictions.csv")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=8)
    run(ap.parse_args())
