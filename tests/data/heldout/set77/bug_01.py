"""DCGAN on CIFAR-10: alternating D/G updates with a fixed-noise sample grid per epoch."""
import argparse
import os

import torch
import torch.nn as nn
import torch.optim as optim
import torchvision.datasets as dset
import torchvision.transforms as T
import torchvision.utils as vutils
from torch.utils.data import DataLoader

NZ = 100
NGF = 64
NDF = 64
NC = 3


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self, nz=NZ, ngf=NGF, nc=NC):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),  # expect: BN201
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, nc=NC, ndf=NDF):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1), nn.BatchNorm2d(ndf * 2),  # expect: BN204
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.main(x).view(-1)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--dataroot", default="./data")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--outf", default="./dcgan_out")
    return p.parse_args()


def main():
    args = parse_args()
    os.makedirs(args.outf, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    transform = T.Compose([T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)])
    dataset = dset.CIFAR10(args.dataroot, train=True, download=True, transform=transform)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=4)

    netG = Generator().to(device)
    netD = Discriminator().to(device)
    netG.apply(weights_init)
    netD.apply(weights_init)

    criterion = nn.BCELoss()
    fixed_noise = torch.randn(64, NZ, 1, 1, device=device)
    optD = optim.Adam(netD.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
    optG = optim.Adam(netG.parameters(), lr=args.lr, betas=(args.beta1, 0.999))

    for epoch in range(args.epochs):
        for i, (real, _) in enumerate(loader):
            real = real.to(device)
            b = real.size(0)
            ones = torch.ones(b, device=device)
            zeros = torch.zeros(b, device=device)

            netD.zero_grad()
            out_real = netD(real)
            err_real = criterion(out_real, ones)
            noise = torch.randn(b, NZ, 1, 1, device=device)
            fake = netG(noise)
            out_fake = netD(fake.detach())
            err_fake = criterion(out_fake, zeros)
            errD = err_real + err_fake
            errD.backward()
            optD.step()

            netG.zero_grad()
            out = netD(fake)
            errG = criterion(out, ones)
            errG.backward()
            optG.step()

            if i % 100 == 0:
                print(
                    f"[{epoch}/{args.epochs}][{i}/{len(loader)}] "
                    f"loss_D {errD.item():.4f} loss_G {errG.item():.4f} "
                    f"D(x) {out_real.mean().item():.3f} D(G(z)) {out_fake.mean().item():.3f}"
                )

        with torch.no_grad():
            samples = netG(fixed_noise).cpu()  # expect: BN101
        vutils.save_image(samples, f"{args.outf}/fake_epoch_{epoch:03d}.png", normalize=True)
        torch.save(netG.state_dict(), f"{args.outf}/netG_epoch_{epoch}.pth")
        torch.save(netD.state_dict(), f"{args.outf}/netD_epoch_{epoch}.pth")


if __name__ == "__main__":
    main()
