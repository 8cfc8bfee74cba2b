"""DCGAN on CIFAR-10 / any ImageFolder, with a fixed-noise progress grid and a
TorchScript export of the final generator."""
import argparse
import os
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.optim as optim
import torchvision
import torchvision.transforms as transforms
import torchvision.utils as vutils
from torch.utils.data import DataLoader

NZ = 100
NGF = 64
NDF = 64


def g_block(name, cin, cout, stride, pad):
    return [
        (f"{name}_deconv", nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False)),
        (f"{name}_bn", nn.BatchNorm2d(cout)),
        (f"{name}_relu", nn.ReLU(True)),
    ]


class Generator(nn.Module):
    def __init__(self, nz=NZ, ngf=NGF, nc=3):
        super().__init__()
        layers = []
        layers += g_block("b1", nz, ngf * 4, 1, 0)       # 4x4
        layers += g_block("b2", ngf * 4, ngf * 2, 2, 1)  # 8x8
        layers += g_block("b3", ngf * 2, ngf, 2, 1)      # 16x16
        layers.append(("out", nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False)))
        layers.append(("tanh", nn.Tanh()))
        self.main = nn.Sequential(OrderedDict(layers))

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, ndf=NDF, nc=3):
        super().__init__()
        self.main = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(nc, ndf, 4, 2, 1, bias=False)),
            ("lrelu1", nn.LeakyReLU(0.2, inplace=True)),
            ("conv2", nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False)),
            ("bn2", nn.BatchNorm2d(ndf * 2)),
            ("lrelu2", nn.LeakyReLU(0.2, inplace=True)),
            ("conv3", nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False)),
            ("bn3", nn.BatchNorm2d(ndf * 4)),
            ("lrelu3", nn.LeakyReLU(0.2, inplace=True)),
            ("conv4", nn.Conv2d(ndf * 4, 1, 4, 1, 0)),
        ]))

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


@torch.no_grad()
def save_progress(netG, fixed_noise, path):
    was_training = netG.training
    netG.eval()
    fake = netG(fixed_noise).cpu()
    vutils.save_image(fake, path, normalize=True, nrow=8)
    netG.train(was_training)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="./data")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--out", default="dcgan_out")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    dataset = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=tf)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)

    netG = Generator().to(device)
    netD = Discriminator().to(device)
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCEWithLogitsLoss()
    optD = optim.Adam(netD.parameters(), lr=args.lr, betas=(0.5, 0.999))
    optG = optim.Adam(netG.parameters(), lr=args.lr, betas=(0.5, 0.999))
    fixed_noise = torch.randn(64, NZ, 1, 1, device=device)

    for epoch in range(args.epochs):
        netG.train()
        netD.train()
        for i, (real, _) in enumerate(loader):
            real = real.to(device)
            b = real.size(0)
            ones = torch.ones(b, device=device)
            zeros = torch.zeros(b, device=device)

            # --- D step: real vs. detached fake
            noise = torch.randn(b, NZ, 1, 1, device=device)
            fake = netG(noise)
            d_fake_logits = netD(fake.detach())
            lossD = criterion(netD(real), ones) + criterion(d_fake_logits, zeros)
            optD.zero_grad()
            lossD.backward()
            optD.step()

            # --- G step: D (still in train mode) scores the fakes, grads go to G
            lossG = criterion(netD(fake), ones)
            optG.zero_grad()
            lossG.backward()
            optG.step()

            if i % 100 == 0:
                d_fake_mean = torch.sigmoid(d_fake_logits.detach()).mean().item()
                print(f"[{epoch}/{args.epochs}][{i}/{len(loader)}] lossD {lossD.item():.3f} lossG {lossG.item():.3f} D(G(z)) {d_fake_mean:.3f}")

        save_progress(netG, fixed_noise, os.path.join(args.out, f"epoch_{epoch:03d}.png"))
        torch.save({"G": netG.state_dict(), "D": netD.state_dict()}, os.path.join(args.out, "dcgan.pt"))

    netG.eval()
    example = torch.randn(1, NZ, 1, 1, device=device)
    traced = torch.jit.trace(netG, example)
    traced.save(os.path.join(args.out, "generator_traced.pt"))


if __name__ == "__main__":
    main()
