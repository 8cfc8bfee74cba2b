"""Batch inference for a trained crack-detection model.

    python infer_cracks.py --ckpt runs/crack/best.pt --images scans/ --out preds.csv

The checkpoint was produced by a Lightning run; parameters are stored under
the ``model.`` prefix.
"""
import argparse
import csv
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


class CrackNet(nn.Module):
    def __init__(self, n_classes=2):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 5, stride=2, padding=2, bias=False)
        self.bn1 = nn.BatchNorm2d(64, 1e-3)
        self.conv2 = nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(128, eps=1e-3, momentum=0.01)
        self.conv3 = nn.Conv2d(128, 128, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(128, momentum=None)
        self.head = nn.Linear(128, n_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


def load_model(ckpt_path, device):
    ckpt = torch.load(ckpt_path, map_location="cpu")
    state = {k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    model = CrackNet()
    model.load_state_dict(state)
    model.eval()
    return model.to(device)


def read_image(path, size=224):
    img = Image.open(path).convert("L").resize((size, size))
    arr = np.asarray(img, dtype=np.float32) / 255.0
    return torch.from_numpy((arr - 0.45) / 0.22).unsqueeze(0)


@torch.inference_mode()
def predict_paths(model, paths, device, batch_size=16):
    results = []
    for start in range(0, len(paths), batch_size):
        chunk = paths[start:start + batch_size]
        batch = torch.stack([read_image(p) for p in chunk]).to(device)
        probs = F.softmax(model(batch), dim=1)[:, 1]
        results.extend(zip(chunk, probs.tolist()))
    return results


def sliding_window_scores(ckpt_path, image_path, device, tile=224, stride=112):
    model = CrackNet()
    ckpt = torch.load(ckpt_path, map_location="cpu")
    model.load_state_dict({k.removeprefix("model."): v for k, v in ckpt["state_dict"].items()})
    model.train(mode=False)
    model.to(device)

    img = Image.open(image_path).convert("L")
    arr = torch.from_numpy((np.asarray(img, dtype=np.float32) / 255.0 - 0.45) / 0.22)
    tiles = arr.unfold(0, tile, stride).unfold(1, tile, stride)
    rows, cols = tiles.shape[:2]
    flat = tiles.reshape(-1, 1, tile, tile)
    scores = []
    with torch.no_grad():
        for chunk in flat.split(32):
            scores.append(F.softmax(model(chunk.to(device)), dim=1)[:, 1].cpu())
    return torch.cat(scores).view(rows, cols)


def self_check(model, device):
    model.train(False)
    x = torch.zeros(2, 1, 224, 224, device=device)
    with torch.no_grad():
        a = model(x)
        b = model(x[:1])
    assert torch.allclose(a[:1], b, atol=1e-5), "batch-dependent outputs in inference"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ckpt", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--out", default="preds.csv")
    parser.add_argument("--heatmap", default=None, help="optional large image to scan")
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = load_model(args.ckpt, device)
    self_check(model, device)

    paths = sorted(str(p) for p in Path(args.images).glob("*.png"))
    rows = predict_paths(model, paths, device)
    with open(args.out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "p_crack"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} predictions to {args.out}")

    if args.heatmap:
        heat = sliding_window_scores(args.ckpt, args.heatmap, device)
        np.save(Path(args.heatmap).with_suffix(".heat.npy"), heat.numpy())


if __name__ == "__main__":
    main()
