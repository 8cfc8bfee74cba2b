"""DCGAN on CelebA / LSUN-style image folders (64x64).

    python bug_05.py --dataroot /data/celeba --epochs 25 --out runs/dcgan

Logs D/G losses, D(x) and D(G(z)), saves sample grids from a fixed noise
vector, loss curves and checkpoints; at the end it writes a larger sample
sheet and a simple pixel-space diversity score.
"""
import argparse
import json
import logging
import os
import random
import time

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data
import torchvision.datasets as dset
import torchvision.transforms as transforms
import torchvision.utils as vutils

log = logging.getLogger("dcgan")


def get_opts():
    p = argparse.ArgumentParser()
    p.add_argument("--dataroot", required=True)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--nz", type=int, default=100)
    p.add_argument("--ngf", type=int, default=64)
    p.add_argument("--ndf", type=int, default=64)
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--real-label", type=float, default=0.9, help="one-sided label smoothing")
    p.add_argument("--sample-every", type=int, default=500)
    p.add_argument("--ckpt-every", type=int, default=1, help="epochs")
    p.add_argument("--out", default="runs/dcgan")
    p.add_argument("--seed", type=int, default=999)
    p.add_argument("--resume", default="")
    return p.parse_args()


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self, nz=100, ngf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            # nz x 1 x 1 -> (ngf*8) x 4 x 4
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm1d(ngf * 8),  # expect: BN202
            nn.ReLU(True),
            # -> (ngf*4) x 8 x 8
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # -> (ngf*2) x 16 x 16
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2, 0.8),  # expect: BN206
            nn.ReLU(True),
            # -> ngf x 32 x 32
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # -> nc x 64 x 64
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, ndf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),  # expect: BN201
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x):
        return self.main(x).view(-1)


def log_samples(netG, noise, path):
    netG.eval()
    with torch.no_grad():
        fake = netG(noise).detach().cpu()
    vutils.save_image(fake, path, normalize=True, nrow=8)
    return fake


def plot_losses(g_losses, d_losses, path):
    plt.figure(figsize=(10, 5))
    plt.title("Generator and Discriminator Loss During Training")
    plt.plot(g_losses, label="G", alpha=0.8)
    plt.plot(d_losses, label="D", alpha=0.8)
    plt.xlabel("iterations")
    plt.ylabel("loss")
    plt.legend()
    plt.tight_layout()
    plt.savefig(path)
    plt.close()


def pixel_diversity(images, pairs=2000):
    """Mean L1 distance between random pairs of generated images (mode-collapse alarm)."""
    n = images.size(0)
    i = torch.randint(0, n, (pairs,))
    j = torch.randint(0, n, (pairs,))
    mask = i != j
    return (images[i[mask]] - images[j[mask]]).abs().mean().item()


def final_report(netG, nz, device, out_dir, n=1024):
    netG.eval()
    chunks = []
    with torch.no_grad():
        for _ in range(n // 128):
            z = torch.randn(128, nz, 1, 1, device=device)
            chunks.append(netG(z).cpu())
    images = torch.cat(chunks)
    vutils.save_image(images[:256], os.path.join(out_dir, "final_sheet.png"), normalize=True, nrow=16)
    return {"pixel_diversity": pixel_diversity(images)}


def main():
    opt = get_opts()
    os.makedirs(os.path.join(opt.out, "samples"), exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    random.seed(opt.seed)
    torch.manual_seed(opt.seed)
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

    dataset = dset.ImageFolder(
        root=opt.dataroot,
        transform=transforms.Compose([
            transforms.Resize(opt.image_size),
            transforms.CenterCrop(opt.image_size),
            transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]),
    )
    dataloader = torch.utils.data.DataLoader(dataset, batch_size=opt.batch_size, shuffle=True, num_workers=opt.workers, drop_last=True)

    netG = Generator(opt.nz, opt.ngf).to(device)
    netD = Discriminator(opt.ndf).to(device)
    netG.apply(weights_init)
    netD.apply(weights_init)

    criterion = nn.BCEWithLogitsLoss()
    fixed_noise = torch.randn(64, opt.nz, 1, 1, device=device)
    optD = optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
    optG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

    start_epoch = 0
    if opt.resume:
        ckpt = torch.load(opt.resume, map_location=device)
        netG.load_state_dict(ckpt["G"])
        netD.load_state_dict(ckpt["D"])
        optG.load_state_dict(ckpt["optG"])
        optD.load_state_dict(ckpt["optD"])
        start_epoch = ckpt["epoch"] + 1

    g_losses, d_losses = [], []
    iters = 0
    netG.train()
    netD.train()
    log.info("starting training loop")
    for epoch in range(start_epoch, opt.epochs):
        t0 = time.time()
        for i, (real, _) in enumerate(dataloader):
            real = real.to(device)
            b = real.size(0)

            # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
            netD.zero_grad()
            label = torch.full((b,), opt.real_label, dtype=torch.float, device=device)
            out_real = netD(real)
            errD_real = criterion(out_real, label)
            errD_real.backward()
            D_x = torch.sigmoid(out_real).mean().item()

            noise = torch.randn(b, opt.nz, 1, 1, device=device)
            fake = netG(noise)
            label.fill_(0.0)
            out_fake = netD(fake.detach())
            errD_fake = criterion(out_fake, label)
            errD_fake.backward()
            D_G_z1 = torch.sigmoid(out_fake).mean().item()
            errD = errD_real + errD_fake
            optD.step()

            # (2) update G: maximize log(D(G(z)))
            netG.zero_grad()
            label.fill_(1.0)
            out = netD(fake)
            errG = criterion(out, label)
            errG.backward()
            D_G_z2 = torch.sigmoid(out).mean().item()
            optG.step()

            g_losses.append(errG.item())
            d_losses.append(errD.item())
            if i % 50 == 0:
                log.info("[%d/%d][%d/%d] Loss_D %.4f Loss_G %.4f D(x) %.4f D(G(z)) %.4f / %.4f",
                         epoch, opt.epochs, i, len(dataloader), errD.item(), errG.item(), D_x, D_G_z1, D_G_z2)
            if iters % opt.sample_every == 0:
                log_samples(netG, fixed_noise, os.path.join(opt.out, "samples", f"iter_{iters:07d}.png"))  # expect: BN103
            iters += 1

        log.info("epoch %d took %.1fs", epoch, time.time() - t0)
        plot_losses(g_losses, d_losses, os.path.join(opt.out, "losses.png"))
        if (epoch + 1) % opt.ckpt_every == 0:
            torch.save({
                "epoch": epoch,
                "G": netG.state_dict(),
                "D": netD.state_dict(),
                "optG": optG.state_dict(),
                "optD": optD.state_dict(),
            }, os.path.join(opt.out, "checkpoint.pth"))

    report = final_report(netG, opt.nz, device, opt.out)
    with open(os.path.join(opt.out, "report.json"), "w") as fh:
        json.dump(report, fh, indent=2)
    log.info("done: %s", report)


if __name__ == "__main__":
    main()
