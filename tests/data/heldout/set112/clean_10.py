"""Hybrid GAN inversion: an encoder gives the initial latent, then the latent
is refined by gradient descent through the frozen generator.

Both pretrained networks (G and E) are frozen and used in eval mode so their
BatchNorm layers use the running statistics from GAN training.
"""
import argparse
import os
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import transforms
from torchvision.datasets import ImageFolder
from torchvision.utils import save_image
from torch.utils.data import DataLoader

LATENT = 128
Norm2d = partial(nn.BatchNorm2d, eps=1e-5, momentum=0.1)


class Generator(nn.Module):
    def __init__(self, z_dim=LATENT, ch=64):
        super().__init__()
        self.fc = nn.Linear(z_dim, 4 * 4 * ch * 8, bias=False)
        self.bn0 = nn.BatchNorm1d(4 * 4 * ch * 8)
        self.ch = ch
        self.blocks = nn.Sequential(
            nn.ConvTranspose2d(ch * 8, ch * 4, 4, 2, 1, bias=False), Norm2d(ch * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ch * 4, ch * 2, 4, 2, 1, bias=False), Norm2d(ch * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ch * 2, ch, 4, 2, 1, bias=False), Norm2d(ch), nn.ReLU(True),
            nn.Conv2d(ch, 3, 3, 1, 1),
            nn.Tanh(),
        )

    def forward(self, z):
        h = F.relu(self.bn0(self.fc(z)))
        return self.blocks(h.view(-1, self.ch * 8, 4, 4))


class Encoder(nn.Module):
    def __init__(self, z_dim=LATENT, ch=64):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, ch, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), Norm2d(ch * 2), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ch * 2, ch * 4, 4, 2, 1, bias=False), Norm2d(ch * 4), nn.LeakyReLU(0.2, True),
            nn.Flatten(),
        )
        self.fc = nn.Linear(ch * 4 * 4 * 4, z_dim)

    def forward(self, x):
        return self.fc(self.features(x))


def load_frozen(module, path, device):
    module.load_state_dict(torch.load(path, map_location="cpu"))
    module.to(device).eval()
    for p in module.parameters():
        p.requires_grad = False
    return module


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", default="data/faces_test")
    ap.add_argument("--g-ckpt", default="ckpt/G_ema.pt")
    ap.add_argument("--e-ckpt", default="ckpt/E.pt")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--reg", type=float, default=1e-3)
    ap.add_argument("--out", default="inverted")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    G = load_frozen(Generator(), args.g_ckpt, device)
    E = load_frozen(Encoder(), args.e_ckpt, device)

    tf = transforms.Compose([transforms.Resize(32), transforms.CenterCrop(32), transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])
    loader = DataLoader(ImageFolder(args.images, tf), batch_size=32, shuffle=False)

    for b, (x, _) in enumerate(loader):
        x = x.to(device)
        with torch.no_grad():
            z_init = E(x)
            x_init = G(z_init)
        z = z_init.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=args.lr, betas=(0.9, 0.999))
        for step in range(args.steps):
            x_rec = G(z)
            loss = F.mse_loss(x_rec, x) + F.l1_loss(x_rec, x) + args.reg * (z - z_init).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            x_final = G(z)
            psnr_init = 10 * torch.log10(4.0 / F.mse_loss(x_init, x))
            psnr_final = 10 * torch.log10(4.0 / F.mse_loss(x_final, x))
        print(f"batch {b}: PSNR encoder-only {psnr_init.item():.2f} dB -> optimised {psnr_final.item():.2f} dB")
        save_image(torch.cat([x, x_init, x_final]), os.path.join(args.out, f"batch_{b:03d}.png"), nrow=x.size(0), normalize=True)
        torch.save(z.detach().cpu(), os.path.join(args.out, f"latents_{b:03d}.pt"))


if __name__ == "__main__":
    main()
