"""pix2pix (edges -> shoes) with a helper-built U-Net, per-epoch validation, and ONNX export of the generator."""
import argparse
import glob
import os

import torch
import torch.nn as nn
import torchvision.transforms.functional as TF
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.utils import save_image


class EdgesShoes(Dataset):
    def __init__(self, root, split):
        self.files = sorted(glob.glob(os.path.join(root, split, "*.jpg")))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        ab = TF.to_tensor(Image.open(self.files[i]).convert("RGB").resize((512, 256))) * 2 - 1
        return ab[:, :, :256], ab[:, :, 256:]


def down(in_c, out_c, norm=True):
    layers = [nn.Conv2d(in_c, out_c, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(out_c))
    layers.append(nn.LeakyReLU(0.2, True))
    return nn.Sequential(*layers)


def up(in_c, out_c, dropout=0.0):
    layers = [nn.ConvTranspose2d(in_c, out_c, 4, 2, 1, bias=False), nn.BatchNorm2d(out_c), nn.ReLU(True)]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class UNet(nn.Module):
    def __init__(self, ngf=64):
        super().__init__()
        self.d1 = down(3, ngf, norm=False)
        self.d2 = down(ngf, ngf * 2)
        self.d3 = down(ngf * 2, ngf * 4)
        self.d4 = down(ngf * 4, ngf * 8)
        self.d5 = down(ngf * 8, ngf * 8)
        self.u1 = up(ngf * 8, ngf * 8, dropout=0.5)
        self.u2 = up(ngf * 8 * 2, ngf * 4)
        self.u3 = up(ngf * 4 * 2, ngf * 2)
        self.u4 = up(ngf * 2 * 2, ngf)
        self.out = nn.Sequential(nn.ConvTranspose2d(ngf * 2, 3, 4, 2, 1), nn.Tanh())

    def forward(self, x):
        e1 = self.d1(x)
        e2 = self.d2(e1)
        e3 = self.d3(e2)
        e4 = self.d4(e3)
        b = self.u1(self.d5(e4))
        h = self.u2(torch.cat([b, e4], 1))
        h = self.u3(torch.cat([h, e3], 1))
        h = self.u4(torch.cat([h, e2], 1))
        return self.out(torch.cat([h, e1], 1))


class PatchD(nn.Module):
    def __init__(self, ndf=64):
        super().__init__()
        self.net = nn.Sequential(
            down(6, ndf, norm=False), down(ndf, ndf * 2), down(ndf * 2, ndf * 4),
            nn.Conv2d(ndf * 4, 1, 4, 1, 1),
        )

    def forward(self, a, b):
        return self.net(torch.cat([a, b], 1))


def validate(G, loader, device, sample_path=None):
    G.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for i, (src, tgt) in enumerate(loader):
            src, tgt = src.to(device), tgt.to(device)
            fake = G(src)
            total += (fake - tgt).abs().mean().item() * src.size(0)
            n += src.size(0)
            if i == 0 and sample_path:
                save_image(torch.cat([src, fake, tgt]) * 0.5 + 0.5, sample_path, nrow=src.size(0))
    G.train()
    return total / max(n, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="./datasets/edges2shoes")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=32)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader = DataLoader(EdgesShoes(args.root, "train"), batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(EdgesShoes(args.root, "val"), batch_size=8)

    G, D = UNet().to(device), PatchD().to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()

    for epoch in range(args.epochs):
        for src, tgt in train_loader:
            src, tgt = src.to(device), tgt.to(device)
            fake = G(src)
            pr, pf = D(src, tgt), D(src, fake.detach())
            loss_D = 0.5 * (bce(pr, torch.ones_like(pr)) + bce(pf, torch.zeros_like(pf)))
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()

            pf = D(src, fake)
            loss_G = bce(pf, torch.ones_like(pf)) + 100.0 * l1(fake, tgt)
            opt_G.zero_grad()
            loss_G.backward()
            opt_G.step()
        val_l1 = validate(G, val_loader, device, sample_path=f"pix2pix_val_{epoch:02d}.png")
        print(f"epoch {epoch}: D {loss_D.item():.3f} G {loss_G.item():.3f} val L1 {val_l1:.4f}")

    G.eval()
    torch.onnx.export(G, torch.randn(1, 3, 256, 256, device=device), "edges2shoes_G.onnx",
                      input_names=["edges"], output_names=["shoe"], opset_version=17)


if __name__ == "__main__":
    main()
