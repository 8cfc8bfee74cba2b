# Q: "Expected more than 1 value per channel when training" with my 3D U-Net
#    (CT volumes, only 2 fit in GPU memory)
# A: "With a batch of 1-2 volumes BatchNorm statistics are garbage anyway, and at the
# deepest level the spatial size is 1, so you get this error. Use GroupNorm (or
# InstanceNorm): it normalises per sample, so the batch size doesn't matter.
# The conv bias before a GroupNorm is also cancelled but harmless; keep it if you like."
#
# Poster's working version with GroupNorm:

import argparse
import glob
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

GROUPS = 8


def norm(c):
    return nn.GroupNorm(GROUPS, c)


class DoubleConv(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv3d(c_in, c_out, 3, padding=1),
            norm(c_out),
            nn.LeakyReLU(0.01, inplace=True),
            nn.Conv3d(c_out, c_out, 3, padding=1),
            norm(c_out),
            nn.LeakyReLU(0.01, inplace=True),
        )

    def forward(self, x):
        return self.block(x)


class UNet3D(nn.Module):
    def __init__(self, in_ch=1, n_classes=3, base=16):
        super().__init__()
        chans = [base, base * 2, base * 4, base * 8]
        self.downs = nn.ModuleList()
        c = in_ch
        for ch in chans:
            self.downs.append(DoubleConv(c, ch))
            c = ch
        self.bottleneck = DoubleConv(chans[-1], chans[-1] * 2)
        self.ups = nn.ModuleList()
        self.up_convs = nn.ModuleList()
        c = chans[-1] * 2
        for ch in reversed(chans):
            self.ups.append(nn.ConvTranspose3d(c, ch, 2, stride=2))
            self.up_convs.append(DoubleConv(ch * 2, ch))
            c = ch
        self.head = nn.Conv3d(chans[0], n_classes, 1)

    def forward(self, x):
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
            x = F.max_pool3d(x, 2)
        x = self.bottleneck(x)
        for up, conv, skip in zip(self.ups, self.up_convs, reversed(skips)):
            x = conv(torch.cat([up(x), skip], dim=1))
        return self.head(x)


class VolumeDataset(Dataset):
    def __init__(self, root):
        self.files = sorted(glob.glob(os.path.join(root, "*.npz")))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        d = np.load(self.files[i])
        return torch.from_numpy(d["image"][None]).float(), torch.from_numpy(d["label"]).long()


def dice_score(logits, target, n_classes):
    pred = logits.argmax(1)
    scores = []
    for c in range(1, n_classes):
        inter = ((pred == c) & (target == c)).sum().item()
        denom = (pred == c).sum().item() + (target == c).sum().item()
        scores.append(2 * inter / denom if denom else 1.0)
    return float(np.mean(scores))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-dir", default="data/ct/train")
    parser.add_argument("--val-dir", default="data/ct/val")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(VolumeDataset(args.train_dir), batch_size=args.batch_size, shuffle=True, num_workers=4)
    val_loader = DataLoader(VolumeDataset(args.val_dir), batch_size=1)

    model = UNet3D().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=1e-5)

    for epoch in range(args.epochs):
        model.train()
        for vol, seg in train_loader:
            vol, seg = vol.to(device), seg.to(device)
            loss = F.cross_entropy(model(vol), seg)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        model.eval()
        with torch.no_grad():
            dices = [dice_score(model(v.to(device)), s.to(device), 3) for v, s in val_loader]
        print(f"epoch {epoch}: loss {loss.item():.4f} val dice {np.mean(dices):.4f}")


if __name__ == "__main__":
    main()
