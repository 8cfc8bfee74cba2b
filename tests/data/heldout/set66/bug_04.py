"""PointNet classifier for LiDAR object crops (car / pedestrian / cyclist / ...),
trained on fixed-size samples of 1024 points, exported to TorchScript for the
perception stack.

    python bug_04.py train --root /data/lidar_crops
    python bug_04.py export --ckpt pointnet_best.pt
"""
from __future__ import annotations

import argparse
import glob
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CLASSES = ["car", "truck", "pedestrian", "cyclist", "motorcycle", "bus", "barrier", "cone"]
NUM_POINTS = 1024
IN_DIM = 4  # x, y, z, intensity


class LidarCrops(Dataset):
    def __init__(self, root: str, split: str, augment: bool = False):
        self.files = sorted(glob.glob(os.path.join(root, split, "*", "*.npy")))
        self.augment = augment

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, idx: int):
        path = self.files[idx]
        pts = np.load(path).astype(np.float32)
        choice = np.random.choice(len(pts), NUM_POINTS, replace=len(pts) < NUM_POINTS)
        pts = pts[choice]
        pts[:, :3] -= pts[:, :3].mean(0)
        if self.augment:
            theta = np.random.uniform(0, 2 * np.pi)
            rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]], dtype=np.float32)
            pts[:, :2] = pts[:, :2] @ rot.T
            pts[:, :3] += np.random.normal(0, 0.01, size=(NUM_POINTS, 3)).astype(np.float32)
        label = CLASSES.index(os.path.basename(os.path.dirname(path)))
        return torch.from_numpy(pts).transpose(0, 1), label  # (IN_DIM, NUM_POINTS)


class TNet(nn.Module):
    def __init__(self, k: int):
        super().__init__()
        self.k = k
        self.mlp = nn.Sequential(
            nn.Conv1d(k, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(inplace=True),
            nn.Conv1d(64, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(inplace=True),
            nn.Conv1d(128, 1024, 1, bias=False), nn.BatchNorm1d(1024), nn.ReLU(inplace=True),
        )
        self.fc = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(inplace=True),
            nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(inplace=True),
            nn.Linear(256, k * k),
        )
        nn.init.zeros_(self.fc[-1].weight)
        nn.init.zeros_(self.fc[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.mlp(x).max(dim=2).values
        eye = torch.eye(self.k, device=x.device).flatten()
        return (self.fc(feat) + eye).view(-1, self.k, self.k)


class PointNetCls(nn.Module):
    def __init__(self, in_dim: int = IN_DIM, num_classes: int = len(CLASSES), dropout: float = 0.4):
        super().__init__()
        self.input_tnet = TNet(3)
        self.mlp1 = nn.Sequential(
            nn.Conv1d(in_dim, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(inplace=True),
            nn.Conv1d(64, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(inplace=True),
        )
        self.feature_tnet = TNet(64)
        self.mlp2 = nn.Sequential(
            nn.Conv1d(64, 128, 1, bias=False),
            nn.BatchNorm2d(128),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Conv1d(128, 1024, 1, bias=False),
            nn.BatchNorm1d(1024),
        )
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(inplace=True),
            nn.Linear(256, num_classes),
        )

    def forward(self, x: torch.Tensor):
        xyz, extra = x[:, :3], x[:, 3:]
        t_in = self.input_tnet(xyz)
        x = torch.cat([torch.bmm(t_in, xyz), extra], dim=1)
        x = self.mlp1(x)
        t_feat = self.feature_tnet(x)
        x = torch.bmm(t_feat, x)
        x = self.mlp2(x).max(dim=2).values
        return self.head(x), t_feat


def orthogonality_loss(t: torch.Tensor) -> torch.Tensor:
    eye = torch.eye(t.shape[1], device=t.device)
    return ((t @ t.transpose(1, 2) - eye) ** 2).sum(dim=(1, 2)).mean()


def evaluate(model: nn.Module, loader: DataLoader, device: str) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for pts, label in loader:
            logits, _ = model(pts.to(device))
            correct += (logits.argmax(1).cpu() == label).sum().item()
            total += label.numel()
    return correct / max(total, 1)


def train(args) -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(LidarCrops(args.root, "train", augment=True), batch_size=32, shuffle=True, drop_last=True, num_workers=8)
    val_loader = DataLoader(LidarCrops(args.root, "val"), batch_size=64, num_workers=4)
    model = PointNetCls().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)
    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        for pts, label in train_loader:
            logits, t_feat = model(pts.to(device))
            loss = F.cross_entropy(logits, label.to(device), label_smoothing=0.1)
            loss = loss + 1e-3 * orthogonality_loss(t_feat)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: val acc {acc:.4f}")
        if acc > best:
            best = acc
            torch.save(model.state_dict(), "pointnet_best.pt")


def export(args) -> None:
    model = PointNetCls()
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    example = torch.randn(2, IN_DIM, NUM_POINTS)
    traced = torch.jit.trace(model, example)  # expect: BN104
    traced.save(args.out)
    print(f"saved TorchScript module to {args.out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--root", required=True)
    t.add_argument("--epochs", type=int, default=120)
    e = sub.add_parser("export")
    e.add_argument("--ckpt", required=True)
    e.add_argument("--out", default="pointnet_cls.ts")
    cli = parser.parse_args()
    train(cli) if cli.cmd == "train" else export(cli)
