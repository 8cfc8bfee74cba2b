"""DCGAN, LSUN bedrooms / CIFAR-10, with periodic fixed-noise grids and ONNX export
of the final generator for the web demo.
"""
from __future__ import print_function

import argparse
import os
import random

import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.optim as optim
import torch.utils.data
import torchvision.datasets as dset
import torchvision.transforms as transforms
import torchvision.utils as vutils

parser = argparse.ArgumentParser()
parser.add_argument("--dataset", default="cifar10", help="cifar10 | lsun")
parser.add_argument("--dataroot", default="./data")
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--batchSize", type=int, default=64)
parser.add_argument("--imageSize", type=int, default=64)
parser.add_argument("--nz", type=int, default=100)
parser.add_argument("--ngf", type=int, default=64)
parser.add_argument("--ndf", type=int, default=64)
parser.add_argument("--niter", type=int, default=25)
parser.add_argument("--lr", type=float, default=0.0002)
parser.add_argument("--beta1", type=float, default=0.5)
parser.add_argument("--outf", default="out")
parser.add_argument("--manualSeed", type=int, default=None)
opt = parser.parse_args()

os.makedirs(opt.outf, exist_ok=True)
if opt.manualSeed is None:
    opt.manualSeed = random.randint(1, 10000)
random.seed(opt.manualSeed)
torch.manual_seed(opt.manualSeed)
cudnn.benchmark = True

if opt.dataset == "lsun":
    dataset = dset.LSUN(root=opt.dataroot, classes=["bedroom_train"], transform=transforms.Compose([
        transforms.Resize(opt.imageSize), transforms.CenterCrop(opt.imageSize),
        transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
else:
    dataset = dset.CIFAR10(root=opt.dataroot, download=True, transform=transforms.Compose([
        transforms.Resize(opt.imageSize), transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
dataloader = torch.utils.data.DataLoader(dataset, batch_size=opt.batchSize, shuffle=True,
                                         num_workers=int(opt.workers), drop_last=True)

device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
nz, ngf, ndf, nc = int(opt.nz), int(opt.ngf), int(opt.ndf), 3


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def g_block(cin, cout):
    return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]


def d_block(cin, cout):
    return [nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, inplace=True)]


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            *g_block(ngf * 8, ngf * 4),
            *g_block(ngf * 4, ngf * 2),
            *g_block(ngf * 2, ngf),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1),            # no BN on the first layer, bias kept
            nn.LeakyReLU(0.2, inplace=True),
            *d_block(ndf, ndf * 2),
            *d_block(ndf * 2, ndf * 4),
            *d_block(ndf * 4, ndf * 8),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
        )

    def forward(self, input):
        return self.main(input).view(-1)


netG = Generator().to(device)
netG.apply(weights_init)
netD = Discriminator().to(device)
netD.apply(weights_init)

criterion = nn.BCEWithLogitsLoss()
fixed_noise = torch.randn(opt.batchSize, nz, 1, 1, device=device)
optimizerD = optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

for epoch in range(opt.niter):
    for i, (real, _) in enumerate(dataloader):
        real = real.to(device)
        b = real.size(0)
        ones = torch.ones(b, device=device)
        zeros = torch.zeros(b, device=device)

        # ---- D step: generator only provides samples, no graph needed ----
        noise = torch.randn(b, nz, 1, 1, device=device)
        with torch.no_grad():
            fake = netG(noise)
        errD = criterion(netD(real), ones) + criterion(netD(fake), zeros)
        optimizerD.zero_grad()
        errD.backward()
        optimizerD.step()

        # ---- G step ----
        fake = netG(torch.randn(b, nz, 1, 1, device=device))
        errG = criterion(netD(fake), ones)
        optimizerG.zero_grad()
        errG.backward()
        optimizerG.step()

        if i % 100 == 0:
            print("[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f"
                  % (epoch, opt.niter, i, len(dataloader), errD.item(), errG.item()))
            vutils.save_image(real, "%s/real_samples.png" % opt.outf, normalize=True)
            netG.eval()
            with torch.no_grad():
                grid = netG(fixed_noise)
            netG.train()
            vutils.save_image(grid.detach(), "%s/fake_samples_epoch_%03d.png" % (opt.outf, epoch),
                              normalize=True)

    torch.save(netG.state_dict(), "%s/netG_epoch_%d.pth" % (opt.outf, epoch))
    torch.save(netD.state_dict(), "%s/netD_epoch_%d.pth" % (opt.outf, epoch))

# export for the demo page (running statistics, not batch statistics)
netG.eval()
dummy = torch.randn(1, nz, 1, 1, device=device)
torch.onnx.export(netG, dummy, os.path.join(opt.outf, "netG.onnx"),
                  input_names=["z"], output_names=["image"],
                  dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}}, opset_version=13)
