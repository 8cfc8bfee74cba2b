"""DCGAN on CelebA 64x64.

Started from the pytorch/examples DCGAN recipe; the discriminator BN settings
were copied over from our old TF implementation so the numbers line up.
"""
import os
import random

import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data
import torchvision.datasets as dset
import torchvision.transforms as transforms
import torchvision.utils as vutils

cfg = {
    "dataroot": "data/celeba",
    "workers": 4,
    "batch_size": 128,
    "image_size": 64,
    "nc": 3,
    "nz": 100,
    "ngf": 64,
    "ndf": 64,
    "num_epochs": 25,
    "lr": 2e-4,
    "beta1": 0.5,
    "out_dir": "runs/dcgan_celeba",
    "seed": 999,
}


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
            # z -> (ngf*8) x 4 x 4
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            # -> (ngf*4) x 8 x 8
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # -> (ngf*2) x 16 x 16
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
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
    def __init__(self, nc=3, ndf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1),  # expect: BN204
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4, eps=1e-5, momentum=0.9),  # expect: BN205
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.main(x).view(-1, 1).squeeze(1)


def main():
    random.seed(cfg["seed"])
    torch.manual_seed(cfg["seed"])
    os.makedirs(cfg["out_dir"], exist_ok=True)

    dataset = dset.ImageFolder(
        root=cfg["dataroot"],
        transform=transforms.Compose([
            transforms.Resize(cfg["image_size"]),
            transforms.CenterCrop(cfg["image_size"]),
            transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]),
    )
    dataloader = torch.utils.data.DataLoader(
        dataset, batch_size=cfg["batch_size"], shuffle=True, num_workers=cfg["workers"]
    )
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

    netG = Generator(cfg["nz"], cfg["ngf"], cfg["nc"]).to(device)
    netG.apply(weights_init)
    netD = Discriminator(cfg["nc"], cfg["ndf"]).to(device)
    netD.apply(weights_init)

    criterion = nn.BCELoss()
    fixed_noise = torch.randn(64, cfg["nz"], 1, 1, device=device)
    real_label, fake_label = 1.0, 0.0
    optimizerD = optim.Adam(netD.parameters(), lr=cfg["lr"], betas=(cfg["beta1"], 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=cfg["lr"], betas=(cfg["beta1"], 0.999))

    img_list, G_losses, D_losses = [], [], []
    iters = 0
    for epoch in range(cfg["num_epochs"]):
        for i, (data, _) in enumerate(dataloader):
            # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
            netD.zero_grad()
            real = data.to(device)
            b_size = real.size(0)
            label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
            output = netD(real)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()

            noise = torch.randn(b_size, cfg["nz"], 1, 1, device=device)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            errD = errD_real + errD_fake
            optimizerD.step()

            # (2) update G: maximize log(D(G(z)))
            netG.zero_grad()
            label.fill_(real_label)
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            optimizerG.step()

            if i % 50 == 0:
                print(f"[{epoch}/{cfg['num_epochs']}][{i}/{len(dataloader)}] "
                      f"Loss_D {errD.item():.4f} Loss_G {errG.item():.4f} D(x) {D_x:.4f}")
            G_losses.append(errG.item())
            D_losses.append(errD.item())

            if iters % 500 == 0:
                netG.eval()
                with torch.no_grad():
                    progress = netG(fixed_noise).detach().cpu()
                netG.train()
                img_list.append(vutils.make_grid(progress, padding=2, normalize=True))
            iters += 1

        torch.save({"netG": netG.state_dict(), "netD": netD.state_dict(), "epoch": epoch},
                   os.path.join(cfg["out_dir"], "ckpt.pth"))

    # 8x8 sample sheet for the README
    with torch.no_grad():
        sheet = netG(torch.randn(64, cfg["nz"], 1, 1, device=device))  # expect: BN101
    vutils.save_image(sheet, os.path.join(cfg["out_dir"], "final_samples.png"),
                      nrow=8, normalize=True)
    torch.save({"G": G_losses, "D": D_losses}, os.path.join(cfg["out_dir"], "losses.pt"))


if __name__ == "__main__":
    main()
