"""CenterNet-style anchor-free detector for warehouse parcel detection.

ResNet-18 backbone, three transposed-conv upsampling stages with BatchNorm, and
heatmap / size / offset heads at stride 4.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Dataset

NUM_CLASSES = 3  # box, envelope, bag
INPUT_SIZE = 512
STRIDE = 4


class ParcelDataset(Dataset):
    def __init__(self, root: str, split: str):
        with open(os.path.join(root, f"{split}.json")) as fh:
            self.items = json.load(fh)
        self.root = root

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, idx: int):
        item = self.items[idx]
        img = Image.open(os.path.join(self.root, item["file"])).convert("RGB").resize((INPUT_SIZE, INPUT_SIZE))
        x = torchvision.transforms.functional.to_tensor(img)
        x = torchvision.transforms.functional.normalize(x, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        out = INPUT_SIZE // STRIDE
        heat = np.zeros((NUM_CLASSES, out, out), dtype=np.float32)
        wh = np.zeros((2, out, out), dtype=np.float32)
        mask = np.zeros((out, out), dtype=np.float32)
        for cls, x0, y0, x1, y1 in item["boxes"]:  # normalised coordinates
            cx, cy = (x0 + x1) / 2 * out, (y0 + y1) / 2 * out
            w, h = (x1 - x0) * out, (y1 - y0) * out
            ix, iy = min(int(cx), out - 1), min(int(cy), out - 1)
            sigma = max(w, h) / 6 + 1e-3
            ys, xs = np.ogrid[:out, :out]
            heat[cls] = np.maximum(heat[cls], np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma ** 2)))
            wh[:, iy, ix] = (w, h)
            mask[iy, ix] = 1.0
        return x, torch.from_numpy(heat), torch.from_numpy(wh), torch.from_numpy(mask)


class CenterNet(nn.Module):
    def __init__(self, num_classes: int = NUM_CLASSES, head_conv: int = 64):
        super().__init__()
        r18 = torchvision.models.resnet18(weights="IMAGENET1K_V1")
        self.backbone = nn.Sequential(*list(r18.children())[:-2])  # stride 32, 512 channels
        ups, prev = [], 512
        for ch in (256, 128, 64):
            ups += [
                nn.Conv2d(prev, ch, 3, padding=1), nn.BatchNorm2d(ch),  # expect: BN204
                nn.ReLU(inplace=True),
                nn.ConvTranspose2d(ch, ch, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(ch),
                nn.ReLU(inplace=True),
            ]
            prev = ch
        self.neck = nn.Sequential(*ups)

        def head(out_ch: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(64, head_conv, 3, padding=1), nn.ReLU(inplace=True),
                                 nn.Conv2d(head_conv, out_ch, 1))

        self.heatmap = head(num_classes)
        self.size = head(2)
        self.heatmap[-1].bias.data.fill_(-2.19)

    def forward(self, x: torch.Tensor):
        f = self.neck(self.backbone(x))
        return self.heatmap(f), self.size(f)


def focal_loss(pred_logits: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    pred = pred_logits.sigmoid().clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    neg_w = (1 - gt) ** 4
    pos_loss = torch.log(pred) * (1 - pred) ** 2 * pos
    neg_loss = torch.log(1 - pred) * pred ** 2 * neg_w * (1 - pos)
    return -(pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp_min(1)


def decode_peaks(heat_logits: torch.Tensor, k: int = 100, thresh: float = 0.3):
    heat = heat_logits.sigmoid()
    keep = (F.max_pool2d(heat, 3, stride=1, padding=1) == heat).float()
    scores, idx = (heat * keep).flatten(1).topk(k)
    return scores, idx, scores > thresh


def evaluate_recall(model: nn.Module, loader: DataLoader, device: str) -> float:
    model.eval()
    hit = total = 0
    with torch.no_grad():
        for img, heat, _, _ in loader:
            heat_logits, _ = model(img.to(device))
            _, idx, valid = decode_peaks(heat_logits)
            gt = heat.to(device).flatten(1)
            centers = gt.eq(1)
            found = torch.zeros_like(centers)
            found.scatter_(1, idx, valid)
            hit += (found & centers).sum().item()
            total += centers.sum().item()
    return hit / max(total, 1)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="/data/parcels")
    p.add_argument("--epochs", type=int, default=70)
    p.add_argument("--batch-size", type=int, default=32)
    args = p.parse_args()
    device = "cuda"

    train_loader = DataLoader(ParcelDataset(args.root, "train"), batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(ParcelDataset(args.root, "val"), batch_size=16, num_workers=4)
    model = CenterNet().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[45, 60], gamma=0.1)

    model.train()
    for epoch in range(args.epochs):
        for img, heat, wh, mask in train_loader:
            img, heat, wh, mask = img.to(device), heat.to(device), wh.to(device), mask.to(device)
            heat_logits, size = model(img)
            size_loss = (F.l1_loss(size, wh, reduction="none").sum(1) * mask).sum() / mask.sum().clamp_min(1)
            loss = focal_loss(heat_logits, heat) + 0.1 * size_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        if (epoch + 1) % 5 == 0:
            recall = evaluate_recall(model, val_loader, device)  # expect: BN103
            print(f"epoch {epoch + 1}: loss {loss.item():.3f} center recall {recall:.3f}")
            torch.save(model.state_dict(), f"centernet_e{epoch + 1}.pt")


if __name__ == "__main__":
    main()
