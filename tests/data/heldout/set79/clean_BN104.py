#!/usr/bin/env python3
"""Train a facial-landmark regressor and ship it to the mobile team as ONNX.

usage: python train_landmarks.py --epochs 25 --onnx-out landmarks.onnx
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_POINTS = 15


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--img-size", type=int, default=96)
    p.add_argument("--workdir", default="runs/landmarks")
    p.add_argument("--onnx-out", default="landmarks.onnx")
    p.add_argument("--opset", type=int, default=17)
    return p.parse_args()


class FaceCrops(Dataset):
    def __init__(self, n, img_size, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.points = torch.rand(n, NUM_POINTS, 2, generator=g) * 0.6 + 0.2
        self.images = torch.randn(n, 1, img_size, img_size, generator=g) * 0.1
        self.img_size = img_size

    def __len__(self):
        return len(self.points)

    def __getitem__(self, i):
        img = self.images[i].clone()
        for x, y in (self.points[i] * (self.img_size - 1)).long():
            img[0, y, x] = 1.0
        return img, self.points[i].flatten()


def conv_bn(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.PReLU(cout),
    )


class LandmarkNet(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(1, width, 2),
            conv_bn(width, width * 2, 2),
            conv_bn(width * 2, width * 4, 2),
            conv_bn(width * 4, width * 4, 1),
            conv_bn(width * 4, width * 8, 2),
            nn.AdaptiveAvgPool2d(1),
        )
        self.regressor = nn.Linear(width * 8, NUM_POINTS * 2)

    def forward(self, x):
        return torch.sigmoid(self.regressor(torch.flatten(self.features(x), 1)))


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    total = 0.0
    for img, target in loader:
        img, target = img.to(device), target.to(device)
        loss = F.smooth_l1_loss(model(img), target, beta=0.02)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * img.size(0)
    return total / len(loader.dataset)


def evaluate(model, loader, device):
    model.eval()
    err, count = 0.0, 0
    with torch.no_grad():
        for img, target in loader:
            pred = model(img.to(device)).view(-1, NUM_POINTS, 2)
            dist = (pred - target.to(device).view(-1, NUM_POINTS, 2)).norm(dim=-1)
            err += dist.mean(dim=1).sum().item()
            count += img.size(0)
    model.train()
    return err / count


def restore_best(model, path, device):
    model.load_state_dict(torch.load(path, map_location=device))
    return model.eval()


def main():
    args = parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_loader = DataLoader(FaceCrops(2000, args.img_size, seed=0), batch_size=args.batch_size,
                              shuffle=True, num_workers=2)
    val_loader = DataLoader(FaceCrops(400, args.img_size, seed=1), batch_size=128)

    model = LandmarkNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.3)
    best_path = os.path.join(args.workdir, "best.pt")
    best_nme = float("inf")

    for epoch in range(args.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        nme = evaluate(model, val_loader, device)
        scheduler.step()
        if nme < best_nme:
            best_nme = nme
            torch.save(model.state_dict(), best_path)
        print(f"[{epoch + 1}/{args.epochs}] loss={loss:.5f} NME={nme:.4f}")

    model = restore_best(model, best_path, device)
    dummy = torch.randn(1, 1, args.img_size, args.img_size, device=device)
    with torch.no_grad():
        torch.onnx.export(
            model, dummy, args.onnx_out,
            input_names=["face"], output_names=["landmarks"],
            dynamic_axes={"face": {0: "batch"}, "landmarks": {0: "batch"}},
            opset_version=args.opset,
        )
    print(f"exported {args.onnx_out} (best NME {best_nme:.4f})")


if __name__ == "__main__":
    main()
