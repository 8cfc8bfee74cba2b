"""Train the DCGAN package on an ImageFolder.  python train.py /path/to/images"""
import os
import sys

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from gan import CONFIG
from gan.models import build_discriminator, build_generator
from gan.utils import init_weights, save_checkpoint, save_sample_grid


def make_loader(root, cfg):
    tf = transforms.Compose([
        transforms.Resize(cfg["image_size"]),
        transforms.CenterCrop(cfg["image_size"]),
        transforms.ToTensor(),
        transforms.Normalize([0.5] * 3, [0.5] * 3),
    ])
    ds = datasets.ImageFolder(root, transform=tf)
    return DataLoader(ds, batch_size=cfg["batch_size"], shuffle=True, num_workers=cfg["workers"], drop_last=True, pin_memory=True)


def main(root, cfg=CONFIG):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    loader = make_loader(root, cfg)
    netG = build_generator(cfg).to(device)
    netD = build_discriminator(cfg).to(device)
    netG.apply(init_weights)
    netD.apply(init_weights)
    optG = torch.optim.Adam(netG.parameters(), lr=cfg["lr_g"], betas=cfg["betas"])
    optD = torch.optim.Adam(netD.parameters(), lr=cfg["lr_d"], betas=cfg["betas"])
    fixed_z = torch.randn(64, cfg["nz"], device=device)

    netG.train()
    netD.train()
    for epoch in range(cfg["epochs"]):
        for step, (real, _) in enumerate(loader):
            real = real.to(device, non_blocking=True)
            z = torch.randn(real.size(0), cfg["nz"], device=device)
            fake = netG(z)

            # discriminator: non-saturating loss with logits
            d_real = netD(real)
            d_fake = netD(fake.detach())
            lossD = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
                F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
            optD.zero_grad(set_to_none=True)
            lossD.backward()
            optD.step()

            # generator: D sees the fakes again, gradients flow into G
            d_fake = netD(fake)
            lossG = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
            optG.zero_grad(set_to_none=True)
            lossG.backward()
            optG.step()

            if step % 100 == 0:
                print(f"epoch {epoch} step {step} lossD {lossD.item():.3f} lossG {lossG.item():.3f}")

        save_sample_grid(netG, fixed_z, os.path.join(cfg["out_dir"], f"samples_{epoch:03d}.png"))  # expect: BN103
        save_checkpoint({"G": netG.state_dict(), "D": netD.state_dict(), "epoch": epoch}, cfg["out_dir"])


if __name__ == "__main__":
    main(sys.argv[1])
