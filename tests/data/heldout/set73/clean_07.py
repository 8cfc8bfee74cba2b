"""Centre-point detector head on a backbone with frozen BatchNorm.

Detection batches are tiny (a few high-resolution images per GPU), so the
backbone's BatchNorm layers keep their pretrained statistics and affine
parameters, as in most detection codebases.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class FrozenBNBackbone(nn.Module):
    def __init__(self, freeze_bn=True):
        super().__init__()
        self.freeze_bn = freeze_bn
        self.c1 = nn.Sequential(conv_bn(3, 32, 2), conv_bn(32, 32))
        self.c2 = nn.Sequential(conv_bn(32, 64, 2), conv_bn(64, 64))
        self.c3 = nn.Sequential(conv_bn(64, 128, 2), conv_bn(128, 128))
        self.c4 = nn.Sequential(conv_bn(128, 256, 2), conv_bn(256, 256))
        if freeze_bn:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.requires_grad_(False)
                    m.bias.requires_grad_(False)

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_bn:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward(self, x):
        return self.c4(self.c3(self.c2(self.c1(x))))


class CenterHead(nn.Module):
    def __init__(self, cin=256, num_classes=3):
        super().__init__()
        self.shared = nn.Conv2d(cin, 128, 3, padding=1)
        self.heatmap = nn.Conv2d(128, num_classes, 1)
        self.size = nn.Conv2d(128, 2, 1)
        nn.init.constant_(self.heatmap.bias, -2.19)

    def forward(self, feats):
        x = F.relu(self.shared(feats))
        return self.heatmap(x), self.size(x)


class Detector(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.backbone = FrozenBNBackbone(freeze_bn=True)
        self.head = CenterHead(256, num_classes)

    def forward(self, images):
        return self.head(self.backbone(images))


def focal_loss(pred, gt, alpha=2, beta=4):
    pred = pred.sigmoid().clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    neg = 1 - pos
    pos_loss = torch.log(pred) * (1 - pred) ** alpha * pos
    neg_loss = torch.log(1 - pred) * pred ** alpha * (1 - gt) ** beta * neg
    return -(pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp_min(1)


def train_epoch(model, loader, optimizer, device):
    model.train()
    total = 0.0
    for images, heatmaps, sizes, mask in loader:
        images, heatmaps = images.to(device), heatmaps.to(device)
        sizes, mask = sizes.to(device), mask.to(device)
        hm_pred, size_pred = model(images)
        loss = focal_loss(hm_pred, heatmaps) + 0.1 * (F.l1_loss(size_pred, sizes, reduction="none")
                                                     * mask).sum() / mask.sum().clamp_min(1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / max(len(loader), 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/parcels_train.pt")
    p.add_argument("--backbone", default="weights/backbone_in1k.pt")
    p.add_argument("--epochs", type=int, default=70)
    p.add_argument("--batch-size", type=int, default=8)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = Detector().to(device)
    model.backbone.load_state_dict(torch.load(args.backbone, map_location=device))
    loader = DataLoader(torch.load(args.data), batch_size=args.batch_size, shuffle=True,
                        drop_last=True, num_workers=4)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=2.5e-4, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [45, 60], 0.1)

    for epoch in range(args.epochs):
        loss = train_epoch(model, loader, optimizer, device)
        scheduler.step()
        print(f"epoch {epoch:02d}: loss {loss:.4f}")
        if (epoch + 1) % 10 == 0:
            torch.save(model.state_dict(), f"weights/detector_e{epoch + 1:03d}.pt")


if __name__ == "__main__":
    main()
