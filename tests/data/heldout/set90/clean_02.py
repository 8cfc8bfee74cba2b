"""WGAN-GP, CIFAR-10, ResNet generator (BN) / ResNet critic (LayerNorm, no BN).

The critic must not use BatchNorm: the gradient penalty is per-sample.
"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torchvision.utils import save_image


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="data")
    p.add_argument("--iters", type=int, default=100_000)
    p.add_argument("--batch_size", type=int, default=64)
    p.add_argument("--n_critic", type=int, default=5)
    p.add_argument("--gp", type=float, default=10.0)
    p.add_argument("--ch", type=int, default=128)
    p.add_argument("--z_dim", type=int, default=128)
    p.add_argument("--logdir", default="logs/wgangp_cifar")
    return p.parse_args()


class GBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2)
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.skip(F.interpolate(x, scale_factor=2))


class Generator(nn.Module):
    def __init__(self, z_dim=128, ch=128):
        super().__init__()
        self.ch = ch
        self.fc = nn.Linear(z_dim, 4 * 4 * ch, bias=False)
        self.bn0 = nn.BatchNorm2d(ch)
        self.blocks = nn.Sequential(GBlock(ch, ch), GBlock(ch, ch), GBlock(ch, ch))
        self.bn_out = nn.BatchNorm2d(ch, 1e-3)
        self.to_rgb = nn.Conv2d(ch, 3, 3, 1, 1)

    def forward(self, z):
        h = self.fc(z).view(-1, self.ch, 4, 4)
        h = F.relu(self.bn0(h))
        h = self.blocks(h)
        return torch.tanh(self.to_rgb(F.relu(self.bn_out(h))))


class DBlock(nn.Module):
    def __init__(self, cin, cout, size, down=True):
        super().__init__()
        self.ln1 = nn.LayerNorm([cin, size, size])
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.ln2 = nn.LayerNorm([cout, size, size])
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1)
        self.down = down

    def forward(self, x):
        h = self.conv1(F.relu(self.ln1(x)))
        h = self.conv2(F.relu(self.ln2(h)))
        s = self.skip(x)
        if self.down:
            h, s = F.avg_pool2d(h, 2), F.avg_pool2d(s, 2)
        return h + s


class Critic(nn.Module):
    def __init__(self, ch=128):
        super().__init__()
        self.stem = nn.Conv2d(3, ch, 3, 1, 1)
        self.blocks = nn.Sequential(DBlock(ch, ch, 32), DBlock(ch, ch, 16),
                                    DBlock(ch, ch, 8, down=False), DBlock(ch, ch, 8, down=False))
        self.fc = nn.Linear(ch, 1)

    def forward(self, x):
        h = F.relu(self.blocks(self.stem(x)))
        return self.fc(h.mean(dim=(2, 3))).squeeze(1)


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1, 1, 1, device=real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(x_hat)
    g, = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((g.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def sample_images(G, z, path):
    G.eval()
    with torch.no_grad():
        x = G(z)
    G.train()
    save_image(x, path, nrow=10, normalize=True, value_range=(-1, 1))


def infinite(loader):
    while True:
        for x, _ in loader:
            yield x


def main():
    args = parse()
    os.makedirs(args.logdir, exist_ok=True)
    dev = torch.device("cuda")
    ds = torchvision.datasets.CIFAR10(args.root, train=True, download=True,
                                      transform=T.Compose([T.RandomHorizontalFlip(), T.ToTensor(),
                                                           T.Normalize((0.5,) * 3, (0.5,) * 3)]))
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=True,
                                         num_workers=4, drop_last=True)
    data = infinite(loader)

    G, D = Generator(args.z_dim, args.ch).to(dev), Critic(args.ch).to(dev)
    optG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.0, 0.9))
    optD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.0, 0.9))
    fixed_z = torch.randn(100, args.z_dim, device=dev)

    for it in range(args.iters):
        for _ in range(args.n_critic):
            real = next(data).to(dev)
            z = torch.randn(real.size(0), args.z_dim, device=dev)
            with torch.no_grad():
                fake = G(z)
            loss_D = D(fake).mean() - D(real).mean() + args.gp * gradient_penalty(D, real, fake)
            optD.zero_grad(set_to_none=True)
            loss_D.backward()
            optD.step()

        z = torch.randn(args.batch_size * 2, args.z_dim, device=dev)
        loss_G = -D(G(z)).mean()
        optG.zero_grad(set_to_none=True)
        loss_G.backward()
        optG.step()

        if it % 1000 == 0:
            print(f"it {it}: loss_D {loss_D.item():.3f} loss_G {loss_G.item():.3f}")
            sample_images(G, fixed_z, os.path.join(args.logdir, f"{it:06d}.png"))
            torch.save({"G": G.state_dict(), "D": D.state_dict()}, os.path.join(args.logdir, "ckpt.pt"))


if __name__ == "__main__":
    main()
