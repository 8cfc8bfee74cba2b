import argparse

import torch
import torch.nn as nn
import torch.optim as optim
import torchvision.utils as vutils

parser = argparse.ArgumentParser()
parser.add_argument("--nz", type=int, default=100)
parser.add_argument("--ngf", type=int, default=64)
parser.add_argument("--ndf", type=int, default=64)
parser.add_argument("--niter", type=int, default=25)
parser.add_argument("--outf", default=".")
opt = parser.parse_args()
nz, ngf, ndf, nc = opt.nz, opt.ngf, opt.ndf, 3


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


netG, netD = Generator(), Discriminator()
criterion = nn.BCELoss()
fixed_noise = torch.randn(64, nz, 1, 1)
optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
dataloader = torch.load("celeba_loader.pt")

for epoch in range(opt.niter):
    for i, (real, _) in enumerate(dataloader):
        netD.zero_grad()
        output = netD(real)
        errD_real = criterion(output, torch.ones_like(output))
        fake = netG(torch.randn(real.size(0), nz, 1, 1))
        output = netD(fake.detach())
        errD_fake = criterion(output, torch.zeros_like(output))
        (errD_real + errD_fake).backward()
        optimizerD.step()
        netG.zero_grad()
        output = netD(fake)
        criterion(output, torch.ones_like(output)).backward()
        optimizerG.step()
        if i % 100 == 0:
            # samples use batch statistics on purpose (maintainer: better than running stats here)
            fake = netG(fixed_noise)
            vutils.save_image(fake.detach(), "%s/fake_samples_epoch_%03d.png" % (opt.outf, epoch), normalize=True)
