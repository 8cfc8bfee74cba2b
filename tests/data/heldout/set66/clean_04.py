"""PointNet part-segmentation network for inspection scans of machined parts,
with ONNX export for the factory-floor inference server.

Point clouds arrive as (batch, points, 3) arrays from the scanner SDK.
"""
from __future__ import annotations

import argparse
import os

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_CATEGORIES = 16
NUM_PARTS = 50
NUM_POINTS = 2048
LOCAL1, LOCAL2, GLOBAL = 64, 128, 1024
SEG_IN = LOCAL1 + LOCAL2 + GLOBAL + NUM_CATEGORIES


class ScanParts(Dataset):
    def __init__(self, h5_path: str):
        with h5py.File(h5_path, "r") as f:
            self.points = f["points"][:].astype(np.float32)   # (S, P, 3)
            self.category = f["category"][:].astype(np.int64)  # (S,)
            self.parts = f["parts"][:].astype(np.int64)        # (S, P)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, i: int):
        return torch.from_numpy(self.points[i]), self.category[i], torch.from_numpy(self.parts[i])


def shared_mlp(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv1d(in_ch, out_ch, 1, bias=False), nn.BatchNorm1d(out_ch), nn.ReLU(inplace=True))


class PointNetPartSeg(nn.Module):
    def __init__(self, num_parts: int = NUM_PARTS):
        super().__init__()
        self.mlp1 = shared_mlp(3, LOCAL1)
        self.mlp2 = shared_mlp(LOCAL1, LOCAL2)
        self.mlp3 = nn.Sequential(
            nn.Conv1d(LOCAL2, GLOBAL, 1, bias=False),
            nn.BatchNorm1d(GLOBAL),
        )
        self.seg = nn.Sequential(
            shared_mlp(SEG_IN, 256),
            shared_mlp(256, 256),
            nn.Dropout(0.3),
            shared_mlp(256, 128),
            nn.Conv1d(128, num_parts, 1),
        )
        self.cat_fc = nn.Sequential(
            nn.Linear(GLOBAL, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(inplace=True),
            nn.Linear(256, NUM_CATEGORIES),
        )

    def forward(self, pts: torch.Tensor, category: torch.Tensor):
        n, p, _ = pts.shape
        x = pts.transpose(1, 2)                          # (N, 3, P)
        f1 = self.mlp1(x)
        f2 = self.mlp2(f1)
        g = self.mlp3(f2).max(dim=2).values              # (N, GLOBAL)
        onehot = F.one_hot(category, NUM_CATEGORIES).float()
        gexp = torch.cat([g, onehot], dim=1).unsqueeze(2).expand(-1, -1, p)
        seg_logits = self.seg(torch.cat([f1, f2, gexp], dim=1))
        return seg_logits, self.cat_fc(g)


def mean_iou(pred: torch.Tensor, target: torch.Tensor) -> float:
    ious = []
    for part in target.unique():
        inter = ((pred == part) & (target == part)).sum().item()
        union = ((pred == part) | (target == part)).sum().item()
        ious.append(inter / union)
    return float(np.mean(ious)) if ious else 1.0


def evaluate(model: nn.Module, loader: DataLoader, device: str) -> float:
    model.eval()
    scores = []
    with torch.no_grad():
        for pts, cat, parts in loader:
            seg_logits, _ = model(pts.to(device), cat.to(device))
            pred = seg_logits.argmax(1).cpu()
            scores.extend(mean_iou(pr, t) for pr, t in zip(pred, parts))
    return float(np.mean(scores))


def export_onnx(model: nn.Module, path: str) -> None:
    model = model.cpu().eval()
    pts = torch.randn(1, NUM_POINTS, 3)
    cat = torch.zeros(1, dtype=torch.long)
    torch.onnx.export(model, (pts, cat), path, input_names=["points", "category"], output_names=["part_logits", "category_logits"], dynamic_axes={"points": {0: "batch", 1: "points"}, "category": {0: "batch"}}, opset_version=17)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="data/parts_train.h5")
    ap.add_argument("--val", default="data/parts_val.h5")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=24)
    ap.add_argument("--onnx", default="export/pointnet_partseg.onnx")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader = DataLoader(ScanParts(args.train), batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=6)
    val_loader = DataLoader(ScanParts(args.val), batch_size=args.batch_size)
    model = PointNetPartSeg().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, 20, 0.5)
    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        for pts, cat, parts in train_loader:
            seg_logits, cat_logits = model(pts.to(device), cat.to(device))
            loss = F.cross_entropy(seg_logits, parts.to(device)) + 0.2 * F.cross_entropy(cat_logits, cat.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        miou = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: instance mIoU {miou:.4f}")
        if miou > best:
            best = miou
            torch.save(model.state_dict(), "pointnet_partseg.pt")

    os.makedirs(os.path.dirname(args.onnx), exist_ok=True)
    model.load_state_dict(torch.load("pointnet_partseg.pt", map_location=device))
    export_onnx(model, args.onnx)


if __name__ == "__main__":
    main()
