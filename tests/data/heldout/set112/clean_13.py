"""SNGAN-style generator with an EMA copy (G_ema) used for all evaluation.

The EMA generator is a Polyak average of G's weights (BigGAN / StyleGAN
practice). It is never trained directly: frozen, in eval mode, its BN buffers
are copied from G after each update.
"""
import argparse
import copy
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image


class GBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, momentum=0.01)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, momentum=0.01)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.skip = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2)
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.skip(F.interpolate(x, scale_factor=2))


class Generator(nn.Module):
    def __init__(self, nz=128, ch=256):
        super().__init__()
        self.ch = ch
        self.linear = nn.Linear(nz, 4 * 4 * ch, bias=False)
        self.blocks = nn.Sequential(GBlock(ch, ch), GBlock(ch, ch), GBlock(ch, ch))
        self.bn = nn.BatchNorm2d(ch, momentum=0.01)
        self.out = nn.Conv2d(ch, 3, 3, 1, 1)

    def forward(self, z):
        h = self.linear(z).view(-1, self.ch, 4, 4)
        h = self.blocks(h)
        return torch.tanh(self.out(F.relu(self.bn(h))))


class Discriminator(nn.Module):
    def __init__(self, ch=128):
        super().__init__()
        self.net = nn.Sequential(
            spectral_norm(nn.Conv2d(3, ch, 3, 1, 1)), nn.LeakyReLU(0.1),
            spectral_norm(nn.Conv2d(ch, ch, 4, 2, 1)), nn.LeakyReLU(0.1),
            spectral_norm(nn.Conv2d(ch, ch * 2, 3, 1, 1)), nn.LeakyReLU(0.1),
            spectral_norm(nn.Conv2d(ch * 2, ch * 2, 4, 2, 1)), nn.LeakyReLU(0.1),
            spectral_norm(nn.Conv2d(ch * 2, ch * 4, 3, 1, 1)), nn.LeakyReLU(0.1),
        )
        self.fc = spectral_norm(nn.Linear(ch * 4 * 8 * 8, 1))

    def forward(self, x):
        return self.fc(self.net(x).flatten(1)).squeeze(1)


@torch.no_grad()
def ema_step(G, G_ema, beta):
    for p_ema, p in zip(G_ema.parameters(), G.parameters()):
        p_ema.lerp_(p, 1.0 - beta)
    for b_ema, b in zip(G_ema.buffers(), G.buffers()):
        b_ema.copy_(b)


@torch.no_grad()
def feature_stats(G_ema, n, nz, device, batch=250):
    """Cheap proxy metric: mean/std of generated pixels (FID needs Inception)."""
    vals = []
    for _ in range(n // batch):
        x = G_ema(torch.randn(batch, nz, device=device))
        vals.append(x.flatten(1).mean(1).cpu())
    v = torch.cat(vals)
    return v.mean().item(), v.std().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--steps", type=int, default=50000)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--n-dis", type=int, default=5)
    ap.add_argument("--ema-beta", type=float, default=0.9999)
    ap.add_argument("--ema-start", type=int, default=1000)
    ap.add_argument("--out", default="sngan_ema")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    nz = 128

    ds = datasets.CIFAR10(args.data, train=True, download=True, transform=transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)]))
    loader = DataLoader(ds, batch_size=args.bs, shuffle=True, drop_last=True, num_workers=4)

    def batches():
        while True:
            yield from loader

    it = batches()
    G = Generator(nz).to(device)
    D = Discriminator().to(device)
    G_ema = copy.deepcopy(G).eval().requires_grad_(False)
    optG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.0, 0.9))
    optD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.0, 0.9))
    fixed_z = torch.randn(100, nz, device=device)

    G.train()
    D.train()
    for step in range(args.steps):
        for _ in range(args.n_dis):
            real = next(it)[0].to(device)
            fake = G(torch.randn(args.bs, nz, device=device)).detach()
            loss_d = F.relu(1.0 - D(real)).mean() + F.relu(1.0 + D(fake)).mean()
            optD.zero_grad()
            loss_d.backward()
            optD.step()

        loss_g = -D(G(torch.randn(args.bs * 2, nz, device=device))).mean()
        optG.zero_grad()
        loss_g.backward()
        optG.step()
        ema_step(G, G_ema, args.ema_beta if step >= args.ema_start else 0.0)

        if step % 2000 == 0:
            mean, std = feature_stats(G_ema, 5000, nz, device)
            with torch.no_grad():
                grid = G_ema(fixed_z)
            save_image(grid, os.path.join(args.out, f"ema_{step:06d}.png"), nrow=10, normalize=True)
            print(f"step {step}: loss_d {loss_d.item():.3f} loss_g {loss_g.item():.3f} G_ema pixel stats {mean:.3f}/{std:.3f}")
            torch.save({"G": G.state_dict(), "G_ema": G_ema.state_dict(), "D": D.state_dict()}, os.path.join(args.out, "ckpt.pt"))

    np.save(os.path.join(args.out, "final_samples.npy"), feature_stats(G_ema, 10000, nz, device))


if __name__ == "__main__":
    main()
