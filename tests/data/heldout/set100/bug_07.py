"""DCGAN on 64x64 face crops; writes a grid of samples from a fixed noise batch."""
import argparse
import os

import torch
import torch.nn as nn
import torchvision.utils as vutils
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

NZ, NGF, NDF, NC = 100, 64, 64, 3


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(NGF * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NGF),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 4, NDF * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(NDF * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 8, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x):
        return self.main(x).view(-1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataroot", required=True)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--sample-every", type=int, default=500)
    parser.add_argument("--outdir", default="samples")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    dataset = datasets.ImageFolder(args.dataroot, transform=transforms.Compose([
        transforms.Resize(64),
        transforms.CenterCrop(64),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ]))
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True,
                        num_workers=4, drop_last=True)

    netG, netD = Generator(), Discriminator()
    criterion = nn.BCEWithLogitsLoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    fixed_noise = torch.randn(64, NZ, 1, 1)

    netG.train()
    netD.train()
    iters = 0
    for epoch in range(args.epochs):
        for real, _ in loader:
            b = real.size(0)
            noise = torch.randn(b, NZ, 1, 1)
            fake = netG(noise)

            optD.zero_grad()
            loss_real = criterion(netD(real), torch.ones(b))
            loss_fake = criterion(netD(fake.detach()), torch.zeros(b))
            (loss_real + loss_fake).backward()
            optD.step()

            optG.zero_grad()
            loss_g = criterion(netD(fake), torch.ones(b))
            loss_g.backward()
            optG.step()

            if iters % args.sample_every == 0:
                netG.eval()  # expect: BN103
                with torch.no_grad():
                    samples = netG(fixed_noise).cpu()
                vutils.save_image(samples, f"{args.outdir}/iter_{iters:06d}.png",
                                  normalize=True, nrow=8)
                print(f"[{epoch}] iter {iters}: D {(loss_real + loss_fake).item():.3f} "
                      f"G {loss_g.item():.3f}")
            iters += 1

    torch.save(netG.state_dict(), "netG.pt")
    torch.save(netD.state_dict(), "netD.pt")


if __name__ == "__main__":
    main()
