"""pix2pix (facades labels -> photos): U-Net generator + PatchGAN discriminator, L1 + adversarial loss."""
import argparse
import glob
import os

import torch
import torch.nn as nn
import torchvision.transforms.functional as TF
from PIL import Image
from torch.utils.data import DataLoader, Dataset


class PairedFacades(Dataset):
    def __init__(self, root, split):
        self.files = sorted(glob.glob(os.path.join(root, split, "*.jpg")))

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        img = TF.to_tensor(Image.open(self.files[i]).convert("RGB").resize((512, 256)))
        img = img * 2 - 1
        photo, label = img[:, :, :256], img[:, :, 256:]
        return label, photo


class UNetGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.down1 = nn.Sequential(nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2))
        self.down2 = nn.Sequential(nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2))
        self.down3 = nn.Sequential(nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2))
        self.down4 = nn.Sequential(nn.Conv2d(256, 512, 4, 2, 1, bias=False), nn.BatchNorm2d(512), nn.LeakyReLU(0.2))
        self.bottleneck = nn.Sequential(nn.Conv2d(512, 512, 4, 2, 1), nn.ReLU())
        self.up1 = nn.Sequential(nn.ConvTranspose2d(512, 512, 4, 2, 1, bias=False), nn.BatchNorm2d(512), nn.ReLU())
        self.up2 = nn.Sequential(nn.ConvTranspose2d(1024, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU())
        self.up3 = nn.Sequential(
            nn.ConvTranspose2d(512, 128, 4, 2, 1, bias=False),
            nn.BatchNorm2d(256),  # expect: BN201
            nn.ReLU(),
        )
        self.up4 = nn.Sequential(nn.ConvTranspose2d(256, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        self.final = nn.Sequential(nn.ConvTranspose2d(128, 3, 4, 2, 1), nn.Tanh())

    def forward(self, x):
        d1 = self.down1(x)
        d2 = self.down2(d1)
        d3 = self.down3(d2)
        d4 = self.down4(d3)
        b = self.bottleneck(d4)
        u1 = self.up1(b)
        u2 = self.up2(torch.cat([u1, d4], 1))
        u3 = self.up3(torch.cat([u2, d3], 1))
        u4 = self.up4(torch.cat([u3, d2], 1))
        return self.final(torch.cat([u4, d1], 1))


class PatchDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(6, 64, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
            nn.Conv2d(256, 512, 4, 1, 1, bias=False), nn.BatchNorm2d(512), nn.LeakyReLU(0.2),
            nn.Conv2d(512, 1, 4, 1, 1),
        )

    def forward(self, src, tgt):
        return self.net(torch.cat([src, tgt], 1))


@torch.no_grad()
def validate(G, loader, device):
    l1_sum, psnr_sum, n = 0.0, 0.0, 0
    for src, tgt in loader:
        src, tgt = src.to(device), tgt.to(device)
        fake = G(src)  # expect: BN101
        mse = ((fake - tgt) / 2).pow(2).flatten(1).mean(1)
        psnr_sum += (10 * torch.log10(1.0 / mse)).sum().item()
        l1_sum += (fake - tgt).abs().flatten(1).mean(1).sum().item()
        n += src.size(0)
    return l1_sum / n, psnr_sum / n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="./datasets/facades")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lambda-l1", type=float, default=100.0)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader = DataLoader(PairedFacades(args.root, "train"), batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(PairedFacades(args.root, "val"), batch_size=32)

    G, D = UNetGenerator().to(device), PatchDiscriminator().to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()

    best_l1 = float("inf")
    for epoch in range(args.epochs):
        for src, tgt in train_loader:
            src, tgt = src.to(device), tgt.to(device)
            fake = G(src)

            opt_D.zero_grad()
            pr, pf = D(src, tgt), D(src, fake.detach())
            loss_D = 0.5 * (bce(pr, torch.ones_like(pr)) + bce(pf, torch.zeros_like(pf)))
            loss_D.backward()
            opt_D.step()

            opt_G.zero_grad()
            pf = D(src, fake)
            loss_G = bce(pf, torch.ones_like(pf)) + args.lambda_l1 * l1(fake, tgt)
            loss_G.backward()
            opt_G.step()

        val_l1, val_psnr = validate(G, val_loader, device)
        print(f"epoch {epoch}: D {loss_D.item():.3f} G {loss_G.item():.3f} val L1 {val_l1:.4f} PSNR {val_psnr:.2f}")
        if val_l1 < best_l1:
            best_l1 = val_l1
            torch.save(G.state_dict(), "pix2pix_G_best.pt")

    dummy = torch.randn(1, 3, 256, 256, device=device)
    torch.onnx.export(G, dummy, "pix2pix_G.onnx", input_names=["label"], output_names=["photo"], opset_version=17)  # expect: BN104


if __name__ == "__main__":
    main()
