"""Single-level FCOS-style detector for shelf-product detection.

The ImageNet ResNet-50 backbone keeps its BatchNorm layers frozen (affine
parameters fixed, running statistics fixed) because the per-GPU batch of
high-resolution shelf images is small; the detection head uses GroupNorm.
Targets (class map and ltrb box distances at stride 8) are precomputed offline.
"""
from __future__ import annotations

import argparse
import glob
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.ops import sigmoid_focal_loss

NUM_CLASSES = 20
STRIDE = 8


class ShelfTargets(torch.utils.data.Dataset):
    def __init__(self, root: str):
        self.files = sorted(glob.glob(os.path.join(root, "*.pt")))

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        s = torch.load(self.files[i])
        return s["image"], s["cls"], s["ltrb"]  # (3,H,W), (H/8,W/8) long (-1 = bg), (4,H/8,W/8)


class FrozenBNBackbone(nn.Module):
    def __init__(self, freeze_stages: int = 2):
        super().__init__()
        r = torchvision.models.resnet50(weights="IMAGENET1K_V2")
        self.stem = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool)
        self.layer1, self.layer2, self.layer3 = r.layer1, r.layer2, r.layer3
        for stage in [self.stem, self.layer1, self.layer2][:freeze_stages]:
            stage.requires_grad_(False)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.requires_grad_(False)
                m.bias.requires_grad_(False)

    def train(self, mode: bool = True) -> "FrozenBNBackbone":
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    def forward(self, x: torch.Tensor):
        c2 = self.layer1(self.stem(x))
        c3 = self.layer2(c2)
        return c3, self.layer3(c3)


class Neck(nn.Module):
    def __init__(self, c3: int = 512, c4: int = 1024, out: int = 256):
        super().__init__()
        self.lat3 = nn.Conv2d(c3, out, 1)
        self.lat4 = nn.Conv2d(c4, out, 1)
        self.smooth = nn.Conv2d(out, out, 3, padding=1)

    def forward(self, c3: torch.Tensor, c4: torch.Tensor) -> torch.Tensor:
        p4 = self.lat4(c4)
        p3 = self.lat3(c3) + F.interpolate(p4, size=c3.shape[-2:], mode="nearest")
        return self.smooth(p3)


def tower(ch: int, depth: int = 4) -> nn.Sequential:
    layers = []
    for _ in range(depth):
        layers += [nn.Conv2d(ch, ch, 3, padding=1), nn.GroupNorm(32, ch), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class FCOSLite(nn.Module):
    def __init__(self, num_classes: int = NUM_CLASSES, ch: int = 256):
        super().__init__()
        self.backbone = FrozenBNBackbone()
        self.neck = Neck(out=ch)
        self.cls_tower, self.box_tower = tower(ch), tower(ch)
        self.cls_out = nn.Conv2d(ch, num_classes, 3, padding=1)
        self.box_out = nn.Conv2d(ch, 4, 3, padding=1)
        nn.init.constant_(self.cls_out.bias, -4.6)

    def forward(self, x: torch.Tensor):
        f = self.neck(*self.backbone(x))
        return self.cls_out(self.cls_tower(f)), F.relu(self.box_out(self.box_tower(f))) * STRIDE


def losses(cls_logits, ltrb_pred, cls_t, ltrb_t):
    pos = cls_t >= 0
    onehot = torch.zeros_like(cls_logits)
    onehot.permute(0, 2, 3, 1)[pos] = F.one_hot(cls_t[pos], cls_logits.shape[1]).float()
    l_cls = sigmoid_focal_loss(cls_logits, onehot, reduction="sum") / pos.sum().clamp_min(1)
    p, t = ltrb_pred.permute(0, 2, 3, 1)[pos], ltrb_t.permute(0, 2, 3, 1)[pos]
    inter = torch.min(p[:, 0], t[:, 0]) + torch.min(p[:, 2], t[:, 2])
    inter = inter * (torch.min(p[:, 1], t[:, 1]) + torch.min(p[:, 3], t[:, 3]))
    union = (p[:, 0] + p[:, 2]) * (p[:, 1] + p[:, 3]) + (t[:, 0] + t[:, 2]) * (t[:, 1] + t[:, 3]) - inter
    l_box = (1 - inter / union.clamp_min(1e-6)).mean() if pos.any() else ltrb_pred.sum() * 0
    return l_cls, l_box


def evaluate(model: nn.Module, loader, device: str) -> float:
    model.eval()
    hits = total = 0
    with torch.no_grad():
        for img, cls_t, _ in loader:
            cls_logits, _ = model(img.to(device))
            score, label = cls_logits.sigmoid().max(1)
            pos = cls_t.to(device) >= 0
            hits += ((label == cls_t.to(device)) & (score > 0.3) & pos).sum().item()
            total += pos.sum().item()
    return hits / max(total, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="/data/shelf/train_targets")
    ap.add_argument("--val", default="/data/shelf/val_targets")
    ap.add_argument("--epochs", type=int, default=24)
    args = ap.parse_args()
    device = "cuda"
    train_loader = torch.utils.data.DataLoader(ShelfTargets(args.train), batch_size=8, shuffle=True, num_workers=8, drop_last=True)
    val_loader = torch.utils.data.DataLoader(ShelfTargets(args.val), batch_size=2, num_workers=4)
    model = FCOSLite().to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    for epoch in range(args.epochs):
        model.train()
        for img, cls_t, ltrb_t in train_loader:
            cls_logits, ltrb = model(img.to(device))
            l_cls, l_box = losses(cls_logits, ltrb, cls_t.to(device), ltrb_t.to(device))
            opt.zero_grad()
            (l_cls + l_box).backward()
            opt.step()
        print(f"epoch {epoch}: cls {l_cls.item():.3f} box {l_box.item():.3f} "
              f"val pos-recall {evaluate(model, val_loader, device):.3f}")
        torch.save(model.state_dict(), f"fcos_lite_e{epoch}.pt")


if __name__ == "__main__":
    main()
