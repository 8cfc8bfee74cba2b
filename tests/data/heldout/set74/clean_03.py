"""High-resolution depth estimation with GroupNorm (memory allows only 2 images per step)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


def conv_gn(in_ch, out_ch, stride=1, groups=8):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False),
        nn.GroupNorm(groups, out_ch),
        nn.ReLU(inplace=True),
    )


class DepthNet(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.down1 = conv_gn(3, width, stride=2)
        self.down2 = conv_gn(width, width * 2, stride=2)
        self.down3 = conv_gn(width * 2, width * 4, stride=2)
        self.mid = conv_gn(width * 4, width * 4)
        self.up3 = conv_gn(width * 4 + width * 2, width * 2)
        self.up2 = conv_gn(width * 2 + width, width)
        self.head = nn.Conv2d(width, 1, 3, padding=1)

    def forward(self, x):
        d1 = self.down1(x)
        d2 = self.down2(d1)
        d3 = self.mid(self.down3(d2))
        u3 = F.interpolate(d3, size=d2.shape[-2:], mode="bilinear", align_corners=False)
        u3 = self.up3(torch.cat([u3, d2], dim=1))
        u2 = F.interpolate(u3, size=d1.shape[-2:], mode="bilinear", align_corners=False)
        u2 = self.up2(torch.cat([u2, d1], dim=1))
        depth = self.head(u2)
        return F.interpolate(depth, size=x.shape[-2:], mode="bilinear", align_corners=False)


class SyntheticScenes(Dataset):
    def __init__(self, n, height, width, seed=0):
        self.n, self.h, self.w, self.seed = n, height, width, seed

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(self.seed + i)
        ramp = torch.linspace(1.0, 10.0, self.h).view(self.h, 1).expand(self.h, self.w)
        depth = ramp + torch.rand(1, generator=g) * 2.0
        rgb = torch.stack([depth / 10.0, depth.sqrt() / 4.0, torch.rand(self.h, self.w, generator=g)])
        return rgb, depth.unsqueeze(0)


def scale_invariant_loss(pred, target, lam=0.5):
    diff = torch.log(pred.clamp_min(1e-3)) - torch.log(target)
    return (diff ** 2).mean() - lam * diff.mean() ** 2


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--height", type=int, default=384)
    p.add_argument("--width", type=int, default=1248)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--num-train", type=int, default=999)
    args = p.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set = SyntheticScenes(args.num_train, args.height, args.width)
    val_set = SyntheticScenes(50, args.height, args.width, seed=50_000)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=4)
    val_loader = DataLoader(val_set, batch_size=1)

    model = DepthNet().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4)

    for epoch in range(args.epochs):
        model.train()
        for rgb, depth in train_loader:
            rgb, depth = rgb.to(device), depth.to(device)
            loss = scale_invariant_loss(F.softplus(model(rgb)), depth)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        model.eval()
        abs_rel = 0.0
        with torch.no_grad():
            for rgb, depth in val_loader:
                pred = F.softplus(model(rgb.to(device))).cpu()
                abs_rel += ((pred - depth).abs() / depth).mean().item()
        print(f"epoch {epoch}: loss {loss.item():.4f} AbsRel {abs_rel / len(val_loader):.4f}")


if __name__ == "__main__":
    main()
