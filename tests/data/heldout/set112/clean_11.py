"""WGAN-GP on CIFAR-10 (Gulrajani et al. 2017, ResNet-free DCGAN variant).

The critic must not use BatchNorm (the gradient penalty is per-sample), so it
uses LayerNorm-style normalisation (GroupNorm with 1 group) / InstanceNorm; the
generator keeps BatchNorm.
"""
import argparse
import os
import time

import torch
import torch.nn as nn
from torch import autograd
from torch.utils.data import DataLoader
import torchvision
import torchvision.transforms as transforms
from torchvision.utils import save_image

DIM = 128
Z_DIM = 128
OUTPUT_DIM = 3 * 32 * 32


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.preprocess = nn.Sequential(
            nn.Linear(Z_DIM, 4 * 4 * 4 * DIM, bias=False),
            nn.BatchNorm1d(4 * 4 * 4 * DIM),
            nn.ReLU(True),
        )
        self.block1 = nn.Sequential(
            nn.ConvTranspose2d(4 * DIM, 2 * DIM, 2, stride=2, bias=False),
            nn.BatchNorm2d(2 * DIM, 1e-3),
            nn.ReLU(True),
        )
        self.block2 = nn.Sequential(
            nn.ConvTranspose2d(2 * DIM, DIM, 2, stride=2, bias=False),
            nn.BatchNorm2d(DIM, 1e-3),
            nn.ReLU(True),
        )
        self.deconv_out = nn.ConvTranspose2d(DIM, 3, 2, stride=2)
        self.tanh = nn.Tanh()

    def forward(self, z):
        out = self.preprocess(z)
        out = out.view(-1, 4 * DIM, 4, 4)
        out = self.block2(self.block1(out))
        return self.tanh(self.deconv_out(out))


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, DIM, 3, 2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(DIM, 2 * DIM, 3, 2, padding=1),
            nn.GroupNorm(1, 2 * DIM),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * DIM, 4 * DIM, 3, 2, padding=1),
            nn.InstanceNorm2d(4 * DIM, affine=True),
            nn.LeakyReLU(0.2),
        )
        self.linear = nn.Linear(4 * 4 * 4 * DIM, 1)

    def forward(self, x):
        out = self.main(x)
        return self.linear(out.flatten(1)).view(-1)


def gradient_penalty(critic, real, fake, device):
    alpha = torch.rand(real.size(0), 1, 1, 1, device=device)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(interp)
    grads = autograd.grad(outputs=scores, inputs=interp, grad_outputs=torch.ones_like(scores), create_graph=True, retain_graph=True)[0]
    return ((grads.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def sample_grid(G, z, path):
    G.eval()
    with torch.no_grad():
        imgs = G(z)
    G.train()
    save_image(imgs * 0.5 + 0.5, path, nrow=10)


def infinite(loader):
    while True:
        for x, _ in loader:
            yield x


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="./data")
    p.add_argument("--iters", type=int, default=100000)
    p.add_argument("--critic-iters", type=int, default=5)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lam", type=float, default=10.0)
    p.add_argument("--out", default="wgan_gp_out")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    ds = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=tf)
    data = infinite(DataLoader(ds, batch_size=args.batch, shuffle=True, drop_last=True, num_workers=4))

    G = Generator().to(device)
    D = Critic().to(device)
    optG = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.9))
    optD = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.9))
    fixed_z = torch.randn(100, Z_DIM, device=device)

    G.train()
    D.train()
    t0 = time.time()
    for it in range(args.iters):
        # ---- critic
        for p_ in D.parameters():
            p_.requires_grad_(True)
        for _ in range(args.critic_iters):
            real = next(data).to(device)
            z = torch.randn(real.size(0), Z_DIM, device=device)
            with torch.no_grad():
                fake = G(z)
            d_loss = D(fake).mean() - D(real).mean() + args.lam * gradient_penalty(D, real, fake, device)
            optD.zero_grad()
            d_loss.backward()
            optD.step()

        # ---- generator (critic weights frozen for this step, critic has no BN)
        for p_ in D.parameters():
            p_.requires_grad_(False)
        z = torch.randn(args.batch, Z_DIM, device=device)
        g_loss = -D(G(z)).mean()
        optG.zero_grad()
        g_loss.backward()
        optG.step()

        if it % 1000 == 0:
            print(f"it {it}: D {d_loss.item():.3f} G {g_loss.item():.3f} ({time.time() - t0:.0f}s)")
            sample_grid(G, fixed_z, os.path.join(args.out, f"samples_{it:06d}.png"))
            torch.save({"G": G.state_dict(), "D": D.state_dict()}, os.path.join(args.out, "wgan_gp.pt"))

    G.eval()
    traced = torch.jit.trace(G, torch.randn(1, Z_DIM, device=device))
    traced.save(os.path.join(args.out, "G_traced.pt"))


if __name__ == "__main__":
    main()
