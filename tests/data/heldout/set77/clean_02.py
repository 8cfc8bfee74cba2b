"""WGAN-GP on CIFAR-10: BatchNorm generator, LayerNorm critic, 5 critic steps per generator step."""
import argparse
import os

import torch
import torch.nn as nn
from torch import autograd
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image

DIM = 128
NZ = 128


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.preprocess = nn.Sequential(
            nn.Linear(NZ, 4 * 4 * 4 * DIM, bias=False),
            nn.BatchNorm1d(4 * 4 * 4 * DIM),
            nn.ReLU(True),
        )
        self.block1 = nn.Sequential(nn.ConvTranspose2d(4 * DIM, 2 * DIM, 2, stride=2, bias=False), nn.BatchNorm2d(2 * DIM), nn.ReLU(True))
        self.block2 = nn.Sequential(nn.ConvTranspose2d(2 * DIM, DIM, 2, stride=2, bias=False), nn.BatchNorm2d(DIM), nn.ReLU(True))
        self.to_rgb = nn.ConvTranspose2d(DIM, 3, 2, stride=2)

    def forward(self, z):
        h = self.preprocess(z).view(-1, 4 * DIM, 4, 4)
        return torch.tanh(self.to_rgb(self.block2(self.block1(h))))


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, DIM, 3, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(DIM, 2 * DIM, 3, 2, 1), nn.LayerNorm([2 * DIM, 8, 8]), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * DIM, 4 * DIM, 3, 2, 1), nn.LayerNorm([4 * DIM, 4, 4]), nn.LeakyReLU(0.2),
        )
        self.linear = nn.Linear(4 * 4 * 4 * DIM, 1)

    def forward(self, x):
        return self.linear(self.main(x).flatten(1)).squeeze(1)


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1, 1, 1, device=real.device)
    interp = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(interp)
    grads = autograd.grad(out, interp, grad_outputs=torch.ones_like(out), create_graph=True)[0]
    return ((grads.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def infinite(loader):
    while True:
        for x, _ in loader:
            yield x


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iters", type=int, default=100_000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--critic-iters", type=int, default=5)
    p.add_argument("--lambda-gp", type=float, default=10.0)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs("wgan_gp", exist_ok=True)

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    loader = DataLoader(datasets.CIFAR10("./data", train=True, download=True, transform=tf),
                        batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=4)
    data = infinite(loader)

    G, C = Generator().to(device), Critic().to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt_C = torch.optim.Adam(C.parameters(), lr=1e-4, betas=(0.5, 0.9))
    fixed_z = torch.randn(100, NZ, device=device)

    for it in range(args.iters):
        for _ in range(args.critic_iters):
            real = next(data).to(device)
            with torch.no_grad():
                fake = G(torch.randn(real.size(0), NZ, device=device))
            loss_C = C(fake).mean() - C(real).mean() + args.lambda_gp * gradient_penalty(C, real, fake)
            opt_C.zero_grad()
            loss_C.backward()
            opt_C.step()

        fake = G(torch.randn(args.batch_size, NZ, device=device))
        loss_G = -C(fake).mean()
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()

        if it % 1000 == 0:
            print(f"iter {it}: critic {loss_C.item():.3f} gen {loss_G.item():.3f}")
            G.eval()
            with torch.no_grad():
                samples = G(fixed_z)
            G.train()
            save_image(samples * 0.5 + 0.5, f"wgan_gp/iter_{it:06d}.png", nrow=10)
            torch.save(G.state_dict(), "wgan_gp/G.pt")


if __name__ == "__main__":
    main()
