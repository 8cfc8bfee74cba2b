"""Image denoiser with GroupNorm / InstanceNorm only (no BatchNorm anywhere).

Because there is no BatchNorm and no dropout, train() and eval() behave the
same, so validation does not bother switching modes, and small batches of
large crops are fine.
"""
import argparse
import glob
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision.io import read_image


def gn_block(cin, cout, groups=8):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.GroupNorm(groups, cout),
        nn.SiLU(),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.GroupNorm(groups, cout),
        nn.SiLU(),
    )


class Denoiser(nn.Module):
    def __init__(self, ch=64):
        super().__init__()
        self.inc = nn.Sequential(nn.Conv2d(3, ch, 3, padding=1), nn.InstanceNorm2d(ch, affine=True), nn.SiLU())
        self.down1 = gn_block(ch, ch * 2)
        self.down2 = gn_block(ch * 2, ch * 4)
        self.up2 = gn_block(ch * 4 + ch * 2, ch * 2)
        self.up1 = gn_block(ch * 2 + ch, ch)
        self.outc = nn.Conv2d(ch, 3, 1)

    def forward(self, noisy):
        x0 = self.inc(noisy)
        x1 = self.down1(F.avg_pool2d(x0, 2))
        x2 = self.down2(F.avg_pool2d(x1, 2))
        y = self.up2(torch.cat([F.interpolate(x2, scale_factor=2), x1], 1))
        y = self.up1(torch.cat([F.interpolate(y, scale_factor=2), x0], 1))
        return noisy - self.outc(y)          # predict the noise residual


class Crops(Dataset):
    def __init__(self, pattern, size=256, sigma=25 / 255):
        self.files = sorted(glob.glob(pattern))
        self.size, self.sigma = size, sigma

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        img = read_image(self.files[i]).float() / 255.0
        _, h, w = img.shape
        top = torch.randint(0, h - self.size + 1, (1,)).item()
        left = torch.randint(0, w - self.size + 1, (1,)).item()
        clean = img[:, top:top + self.size, left:left + self.size]
        return clean + self.sigma * torch.randn_like(clean), clean


def psnr(a, b):
    mse = F.mse_loss(a.clamp(0, 1), b).item()
    return 10 * math.log10(1.0 / max(mse, 1e-10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="data/train/*.png")
    ap.add_argument("--val", default="data/val/*.png")
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=100)
    args = ap.parse_args()

    dev = "cuda"
    train_loader = DataLoader(Crops(args.train), batch_size=args.batch_size, shuffle=True, num_workers=4)
    val_loader = DataLoader(Crops(args.val, size=512), batch_size=1)

    model = Denoiser().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=2e-4)

    for epoch in range(args.epochs):
        for noisy, clean in train_loader:
            noisy, clean = noisy.to(dev), clean.to(dev)
            loss = F.l1_loss(model(noisy), clean)
            opt.zero_grad()
            loss.backward()
            opt.step()

        with torch.no_grad():
            scores = [psnr(model(n.to(dev)), c.to(dev)) for n, c in val_loader]
        print(f"epoch {epoch}: val PSNR {sum(scores) / len(scores):.2f} dB")


if __name__ == "__main__":
    main()
