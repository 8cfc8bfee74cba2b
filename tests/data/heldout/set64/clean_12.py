"""Class-conditional SNGAN (projection discriminator) on CIFAR-10 with hinge loss."""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.nn.utils import spectral_norm
from torch.utils.data import DataLoader


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm without its own affine transform; gamma/beta come from the class embedding."""

    def __init__(self, num_features, num_classes):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, affine=False)
        self.gamma = nn.Embedding(num_classes, num_features)
        self.beta = nn.Embedding(num_classes, num_features)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x, y):
        out = self.bn(x)
        return self.gamma(y)[:, :, None, None] * out + self.beta(y)[:, :, None, None]


class GenBlock(nn.Module):
    def __init__(self, in_ch, out_ch, num_classes):
        super().__init__()
        self.bn1 = ConditionalBatchNorm2d(in_ch, num_classes)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = ConditionalBatchNorm2d(out_ch, num_classes)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.shortcut = nn.Conv2d(in_ch, out_ch, 1, bias=False)

    def forward(self, x, y):
        h = F.interpolate(F.relu(self.bn1(x, y)), scale_factor=2)
        h = self.conv1(h)
        h = self.conv2(F.relu(self.bn2(h, y)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2))


class Generator(nn.Module):
    def __init__(self, z_dim=128, ch=256, num_classes=10):
        super().__init__()
        self.ch = ch
        self.fc = nn.Linear(z_dim, 4 * 4 * ch)
        self.blocks = nn.ModuleList([GenBlock(ch, ch, num_classes) for _ in range(3)])
        self.out_bn = nn.BatchNorm2d(ch)
        self.out_conv = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, z, y):
        h = self.fc(z).view(-1, self.ch, 4, 4)
        for block in self.blocks:
            h = block(h, y)
        return torch.tanh(self.out_conv(F.relu(self.out_bn(h))))


class DiscBlock(nn.Module):
    def __init__(self, in_ch, out_ch, downsample=True):
        super().__init__()
        self.conv1 = spectral_norm(nn.Conv2d(in_ch, out_ch, 3, padding=1))
        self.conv2 = spectral_norm(nn.Conv2d(out_ch, out_ch, 3, padding=1))
        self.skip = spectral_norm(nn.Conv2d(in_ch, out_ch, 1))
        self.downsample = downsample

    def forward(self, x):
        h = self.conv2(F.relu(self.conv1(F.relu(x))))
        s = self.skip(x)
        if self.downsample:
            h, s = F.avg_pool2d(h, 2), F.avg_pool2d(s, 2)
        return h + s


class Discriminator(nn.Module):
    def __init__(self, ch=128, num_classes=10):
        super().__init__()
        self.blocks = nn.Sequential(DiscBlock(3, ch), DiscBlock(ch, ch), DiscBlock(ch, ch, False), DiscBlock(ch, ch, False))
        self.linear = spectral_norm(nn.Linear(ch, 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, ch))

    def forward(self, x, y):
        h = F.relu(self.blocks(x)).sum(dim=[2, 3])
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(dim=1)


def save_samples(G, z_fixed, y_fixed, path):
    G.eval()
    with torch.no_grad():
        imgs = G(z_fixed, y_fixed)
    G.train()
    torchvision.utils.save_image(imgs * 0.5 + 0.5, path, nrow=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--iters", type=int, default=100_000)
    ap.add_argument("--n-dis", type=int, default=5)
    ap.add_argument("--z-dim", type=int, default=128)
    ap.add_argument("--out", default="runs/sngan_cifar10")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda")

    data = torchvision.datasets.CIFAR10("./data", train=True, download=True,
                                        transform=T.Compose([T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)]))
    loader = DataLoader(data, batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)
    G, D = Generator(args.z_dim).to(device), Discriminator().to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.0, 0.9))
    z_fixed = torch.randn(100, args.z_dim, device=device)
    y_fixed = torch.arange(10, device=device).repeat_interleave(10)

    data_iter = iter(loader)
    for it in range(1, args.iters + 1):
        for _ in range(args.n_dis):
            try:
                real, y_real = next(data_iter)
            except StopIteration:
                data_iter = iter(loader)
                real, y_real = next(data_iter)
            real, y_real = real.to(device), y_real.to(device)
            z = torch.randn(real.size(0), args.z_dim, device=device)
            y_fake = torch.randint(0, 10, (real.size(0),), device=device)
            with torch.no_grad():
                fake = G(z, y_fake)
            loss_d = F.relu(1.0 - D(real, y_real)).mean() + F.relu(1.0 + D(fake, y_fake)).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()

        z = torch.randn(args.batch_size * 2, args.z_dim, device=device)
        y_fake = torch.randint(0, 10, (args.batch_size * 2,), device=device)
        loss_g = -D(G(z, y_fake), y_fake).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

        if it % 1000 == 0:
            print(f"[{it}] loss_d {loss_d.item():.3f} loss_g {loss_g.item():.3f}")
            save_samples(G, z_fixed, y_fixed, os.path.join(args.out, f"samples_{it:06d}.png"))
            torch.save({"G": G.state_dict(), "D": D.state_dict()}, os.path.join(args.out, "last.pt"))


if __name__ == "__main__":
    main()
