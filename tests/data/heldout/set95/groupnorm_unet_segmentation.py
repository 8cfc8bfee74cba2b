"""2D U-Net for CT slice segmentation, normalised with GroupNorm.

We train with 4 slices per step (512x512, fp32, one 24 GB card). BatchNorm
was unusable at that batch size, so every norm layer is GroupNorm(8, C):
no running statistics, identical behaviour in train() and eval() mode, and
no dropout anywhere in the network.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Subset


def gn(channels, groups=8):
    return nn.GroupNorm(min(groups, channels), channels)


class DoubleConv(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 3, padding=1),
            gn(out_ch),
            nn.SiLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=1),
            gn(out_ch),
            nn.SiLU(inplace=True),
        )

    def forward(self, x):
        return self.block(x)


class UNet(nn.Module):
    def __init__(self, in_ch=1, num_classes=4, base=32):
        super().__init__()
        chs = [base, base * 2, base * 4, base * 8, base * 16]
        self.enc = nn.ModuleList()
        prev = in_ch
        for c in chs:
            self.enc.append(DoubleConv(prev, c))
            prev = c
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for c in reversed(chs[:-1]):
            self.up.append(nn.ConvTranspose2d(prev, c, 2, stride=2))
            self.dec.append(DoubleConv(2 * c, c))
            prev = c
        self.head = nn.Conv2d(prev, num_classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.enc):
            x = block(x)
            if i < len(self.enc) - 1:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), skip], dim=1))
        return self.head(x)


class SliceDataset(Dataset):
    def __init__(self, npz_path):
        data = np.load(npz_path)
        self.images = data["images"].astype(np.float32)
        self.masks = data["masks"].astype(np.int64)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = torch.from_numpy(self.images[i])[None]
        img = (img.clamp(-1000, 400) + 300) / 700
        return img, torch.from_numpy(self.masks[i])


def dice_score(logits, target, num_classes):
    pred = logits.argmax(1)
    scores = []
    for c in range(1, num_classes):
        inter = ((pred == c) & (target == c)).sum().item()
        denom = (pred == c).sum().item() + (target == c).sum().item()
        scores.append(2 * inter / denom if denom else 1.0)
    return float(np.mean(scores))


@torch.no_grad()
def validate(model, loader, device, num_classes=4):
    # No model.eval() needed: GroupNorm has no running statistics and the
    # network has no dropout, so train/eval mode give identical outputs.
    dices = []
    for img, mask in loader:
        logits = model(img.to(device))
        dices.append(dice_score(logits.cpu(), mask, num_classes))
    return float(np.mean(dices))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="data/ct_train.npz")
    ap.add_argument("--val", default="data/ct_val.npz")
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--overfit", action="store_true",
                    help="sanity check on the first 401 annotated slices")
    args = ap.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_set = SliceDataset(args.train)
    if args.overfit:
        train_set = Subset(train_set, range(401))
    train_loader = DataLoader(train_set, batch_size=4, shuffle=True, num_workers=4)
    val_loader = DataLoader(SliceDataset(args.val), batch_size=8)

    model = UNet(in_ch=1, num_classes=4).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=1e-4)
    ce_weights = torch.tensor([0.1, 1.0, 1.0, 2.0], device=device)
    best = 0.0
    for epoch in range(args.epochs):
        for img, mask in train_loader:
            logits = model(img.to(device))
            loss = F.cross_entropy(logits, mask.to(device), weight=ce_weights)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        dice = validate(model, val_loader, device)
        if dice > best:
            best = dice
            torch.save(model.state_dict(), "unet_gn_best.pt")
        print(f"epoch {epoch:3d}  dice {dice:.4f}  best {best:.4f}")


if __name__ == "__main__":
    main()
