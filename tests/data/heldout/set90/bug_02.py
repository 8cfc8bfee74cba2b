# WGAN-GP on the 8-gaussians toy problem (Gulrajani et al., 2017, Sec. 5.1).
# Generator: 3-layer MLP with BN; critic: plain MLP (no BN, GP is per-sample).
import argparse
import os
import random

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.autograd as autograd
import torch.nn as nn
import torch.nn.functional as F

DIM = 512          # model dimensionality
Z_DIM = 2
LAMBDA = 0.1       # smaller lambda works better on the toy tasks
CRITIC_ITERS = 5

parser = argparse.ArgumentParser()
parser.add_argument("--batch-size", type=int, default=256)
parser.add_argument("--iters", type=int, default=100000)
parser.add_argument("--lr", type=float, default=1e-4)
parser.add_argument("--out", default="tmp/8gaussians")
args = parser.parse_args()

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(Z_DIM, DIM, bias=False)
        self.bn1 = nn.BatchNorm1d(DIM)
        self.fc2 = nn.Linear(DIM, DIM, bias=False)
        self.bn2 = nn.BatchNorm2d(DIM)  # expect: BN202
        self.fc3 = nn.Linear(DIM, DIM, bias=False)
        self.bn3 = nn.BatchNorm1d(DIM)
        self.out = nn.Linear(DIM, 2)

    def forward(self, z):
        h = F.relu(self.bn1(self.fc1(z)))
        h = F.relu(self.bn2(self.fc2(h)))
        h = F.relu(self.bn3(self.fc3(h)))
        return self.out(h)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, DIM), nn.ReLU(True),
            nn.Linear(DIM, DIM), nn.ReLU(True),
            nn.Linear(DIM, DIM), nn.ReLU(True),
            nn.Linear(DIM, 1),
        )

    def forward(self, x):
        return self.net(x).view(-1)


def inf_8gaussians(batch_size, scale=2.0):
    centers = [(1, 0), (-1, 0), (0, 1), (0, -1),
               (1. / np.sqrt(2), 1. / np.sqrt(2)), (1. / np.sqrt(2), -1. / np.sqrt(2)),
               (-1. / np.sqrt(2), 1. / np.sqrt(2)), (-1. / np.sqrt(2), -1. / np.sqrt(2))]
    centers = [(scale * x, scale * y) for x, y in centers]
    while True:
        dataset = []
        for _ in range(batch_size):
            point = np.random.randn(2) * .02
            cx, cy = random.choice(centers)
            point[0] += cx
            point[1] += cy
            dataset.append(point)
        yield torch.from_numpy(np.array(dataset, dtype="float32") / 1.414)


def gradient_penalty(netD, real, fake):
    alpha = torch.rand(real.size(0), 1, device=device).expand_as(real)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    d_interp = netD(interp)
    grads = autograd.grad(outputs=d_interp, inputs=interp,
                          grad_outputs=torch.ones_like(d_interp),
                          create_graph=True, retain_graph=True, only_inputs=True)[0]
    return ((grads.norm(2, dim=1) - 1) ** 2).mean() * LAMBDA


def generate_image(netG, true_dist, path):
    netG.eval()
    with torch.no_grad():
        samples = netG(torch.randn(1000, Z_DIM, device=device)).cpu().numpy()
    netG.train()
    plt.clf()
    plt.scatter(true_dist[:, 0], true_dist[:, 1], c="orange", marker="+", s=4)
    plt.scatter(samples[:, 0], samples[:, 1], c="green", marker="+", s=4)
    plt.savefig(path)


def main():
    os.makedirs(args.out, exist_ok=True)
    netG, netD = Generator().to(device), Critic().to(device)
    optD = torch.optim.Adam(netD.parameters(), lr=args.lr, betas=(0.5, 0.9))
    optG = torch.optim.Adam(netG.parameters(), lr=args.lr, betas=(0.5, 0.9))
    data = inf_8gaussians(args.batch_size)

    for it in range(args.iters):
        # ---- critic ----
        for p in netD.parameters():
            p.requires_grad = True
        for _ in range(CRITIC_ITERS):
            real = next(data).to(device)
            with torch.no_grad():
                fake = netG(torch.randn(args.batch_size, Z_DIM, device=device))
            d_real = netD(real).mean()
            d_fake = netD(fake).mean()
            gp = gradient_penalty(netD, real, fake)
            d_cost = d_fake - d_real + gp
            optD.zero_grad()
            d_cost.backward()
            optD.step()

        # ---- generator ----
        for p in netD.parameters():
            p.requires_grad = False
        fake = netG(torch.randn(args.batch_size, Z_DIM, device=device))
        g_cost = -netD(fake).mean()
        optG.zero_grad()
        g_cost.backward()
        optG.step()

        if it % 100 == 99:
            print(f"iter {it + 1}: D {d_cost.item():.4f}  G {g_cost.item():.4f}  "
                  f"W {(d_real - d_fake).item():.4f}")
            generate_image(netG, next(data).numpy(), os.path.join(args.out, f"frame_{it + 1}.png"))

    # ship the generator as TorchScript for the interactive demo page
    example = torch.randn(args.batch_size, Z_DIM, device=device)
    traced = torch.jit.trace(netG, example)  # expect: BN104
    traced.save(os.path.join(args.out, "generator_ts.pt"))


if __name__ == "__main__":
    main()
