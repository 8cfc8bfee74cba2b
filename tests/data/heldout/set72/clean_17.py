"""Polyp segmentation: U-Net decoder on an ImageNet ResNet-34 encoder with frozen encoder BatchNorm."""
import argparse
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.models import ResNet34_Weights, resnet34

from polyp_data import PolypDataset  # project-local: image/mask pairs + albumentations


class DecoderBlock(nn.Module):
    def __init__(self, in_ch, skip_ch, out_ch):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(in_ch + skip_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )

    def forward(self, x, skip=None):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return self.conv(x)


class ResUNet(nn.Module):
    def __init__(self, num_classes=1, freeze_encoder_bn=True):
        super().__init__()
        enc = resnet34(weights=ResNet34_Weights.IMAGENET1K_V1)
        self.stem = nn.Sequential(enc.conv1, enc.bn1, enc.relu)
        self.pool = enc.maxpool
        self.encoder = nn.ModuleList([enc.layer1, enc.layer2, enc.layer3, enc.layer4])
        self.decoder = nn.ModuleList([
            DecoderBlock(512, 256, 256),
            DecoderBlock(256, 128, 128),
            DecoderBlock(128, 64, 64),
            DecoderBlock(64, 64, 32),
            DecoderBlock(32, 0, 16),
        ])
        self.head = nn.Conv2d(16, num_classes, 3, padding=1)
        self.freeze_encoder_bn = freeze_encoder_bn

    def encoder_norms(self):
        for part in (self.stem, self.encoder):
            for m in part.modules():
                if isinstance(m, nn.BatchNorm2d):
                    yield m

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.freeze_encoder_bn:
            for bn in self.encoder_norms():
                bn.eval()
                bn.weight.requires_grad_(False)
                bn.bias.requires_grad_(False)
        return self

    def forward(self, x):
        x0 = self.stem(x)                 # 1/2, 64
        x = self.pool(x0)
        skips = [x0]
        for layer in self.encoder:
            x = layer(x)
            skips.append(x)               # 1/4 .. 1/32
        x = skips.pop()
        for block in self.decoder:
            x = block(x, skips.pop() if skips else None)
        return self.head(x)


def dice_loss(logits, target, eps=1.0):
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum((2, 3))
    return 1 - ((2 * inter + eps) / (prob.sum((2, 3)) + target.sum((2, 3)) + eps)).mean()


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    running = 0.0
    for img, mask in loader:
        img, mask = img.to(device), mask.to(device)
        logits = model(img)
        loss = F.binary_cross_entropy_with_logits(logits, mask) + dice_loss(logits, mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
    return running / len(loader)


@torch.no_grad()
def evaluate(model, loader, device, threshold=0.5):
    model.eval()
    dices, ious = [], []
    for img, mask in loader:
        pred = (torch.sigmoid(model(img.to(device))) > threshold).float().cpu()
        inter = (pred * mask).sum((1, 2, 3))
        union = pred.sum((1, 2, 3)) + mask.sum((1, 2, 3))
        dices.append((2 * inter + 1e-6) / (union + 1e-6))
        ious.append((inter + 1e-6) / (union - inter + 1e-6))
    return torch.cat(dices).mean().item(), torch.cat(ious).mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--lr", type=float, default=3e-4)
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader = DataLoader(PolypDataset(args.data, "train", size=352), batch_size=args.batch_size,
                              shuffle=True, num_workers=4, drop_last=True)
    val_loader = DataLoader(PolypDataset(args.data, "val", size=352), batch_size=16, num_workers=4)
    model = ResUNet().to(device)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    best = 0.0
    for epoch in range(args.epochs):
        loss = train_one_epoch(model, train_loader, optimizer, device)
        scheduler.step()
        dice, iou = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: loss {loss:.4f} dice {dice:.4f} iou {iou:.4f}")
        if dice > best:
            best = dice
            torch.save(model.state_dict(), "polyp_resunet_best.pt")


if __name__ == "__main__":
    main()
