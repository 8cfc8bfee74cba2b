"""Class-conditional GAN with conditional BatchNorm in the generator and a
spectrally-normalised projection discriminator (hinge loss), CIFAR-10.

    python clean_05.py --out runs/cgan --iters 100000

Samples a fixed class grid every --sample-every iterations, tracks an EMA of
the generator weights, and exports the EMA generator with TorchScript.
"""
import argparse
import copy
import json
import logging
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm
from torch.utils.data import DataLoader
import torchvision
import torchvision.transforms as T
import torchvision.utils as vutils

logger = logging.getLogger("cgan")


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm without its own affine parameters; gain/bias come from the class embedding."""

    def __init__(self, num_features, num_classes):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, affine=False, momentum=0.1)
        self.gain = nn.Embedding(num_classes, num_features)
        self.bias = nn.Embedding(num_classes, num_features)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x, y):
        out = self.bn(x)
        g = self.gain(y).unsqueeze(-1).unsqueeze(-1)
        b = self.bias(y).unsqueeze(-1).unsqueeze(-1)
        return out * g + b


class GenBlock(nn.Module):
    def __init__(self, cin, cout, num_classes):
        super().__init__()
        self.cbn1 = ConditionalBatchNorm2d(cin, num_classes)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.cbn2 = ConditionalBatchNorm2d(cout, num_classes)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x, y):
        h = F.relu(self.cbn1(x, y))
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.conv1(h)
        h = self.conv2(F.relu(self.cbn2(h, y)))
        return h + self.skip(F.interpolate(x, scale_factor=2, mode="nearest"))


class Generator(nn.Module):
    def __init__(self, nz=128, ch=256, num_classes=10):
        super().__init__()
        self.ch = ch
        self.fc = nn.Linear(nz, 4 * 4 * ch, bias=False)
        self.bn0 = nn.BatchNorm2d(ch, 1e-3)
        self.blocks = nn.ModuleList([GenBlock(ch, ch, num_classes) for _ in range(3)])
        self.out = nn.Sequential(
            nn.BatchNorm2d(ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(ch, 3, 3, padding=1),
            nn.Tanh(),
        )

    def forward(self, z, y):
        h = self.fc(z).view(z.size(0), self.ch, 4, 4)
        h = F.relu(self.bn0(h))
        for block in self.blocks:
            h = block(h, y)
        return self.out(h)


class DiscBlock(nn.Module):
    def __init__(self, cin, cout, down=True, first=False):
        super().__init__()
        self.first = first
        self.down = down
        self.conv1 = spectral_norm(nn.Conv2d(cin, cout, 3, padding=1))
        self.conv2 = spectral_norm(nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = spectral_norm(nn.Conv2d(cin, cout, 1)) if (cin != cout or down) else None

    def forward(self, x):
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.skip is not None:
            s = self.skip(s)
            if self.down:
                s = F.avg_pool2d(s, 2)
        return h + s


class Discriminator(nn.Module):
    def __init__(self, ch=128, num_classes=10):
        super().__init__()
        self.blocks = nn.Sequential(
            DiscBlock(3, ch, first=True),
            DiscBlock(ch, ch),
            DiscBlock(ch, ch, down=False),
            DiscBlock(ch, ch, down=False),
        )
        self.linear = spectral_norm(nn.Linear(ch, 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, ch))

    def forward(self, x, y):
        h = F.relu(self.blocks(x)).sum(dim=(2, 3))
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(1)


@torch.no_grad()
def ema_update(ema_g, g, decay):
    for pe, p in zip(ema_g.parameters(), g.parameters()):
        pe.lerp_(p, 1.0 - decay)
    for be, b in zip(ema_g.buffers(), g.buffers()):
        be.copy_(b)


def sample_grid(G, nz, num_classes, device, per_class=10, seed=0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    z = torch.randn(per_class * num_classes, nz, generator=g).to(device)
    y = torch.arange(num_classes).repeat_interleave(per_class).to(device)
    G.eval()
    with torch.no_grad():
        images = G(z, y)
    G.train()
    return images


def plot_losses(stats, path, window=200):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    for key, values in stats.items():
        if len(values) >= window:
            kernel = torch.ones(window) / window
            smooth = torch.conv1d(torch.tensor(values).view(1, 1, -1), kernel.view(1, 1, -1)).view(-1)
            ax.plot(range(window - 1, len(values)), smooth.numpy(), label=key)
    ax.set_xlabel("iteration")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def infinite(loader):
    while True:
        for batch in loader:
            yield batch


def get_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="./data")
    ap.add_argument("--out", default="runs/cgan")
    ap.add_argument("--iters", type=int, default=100_000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--n-dis", type=int, default=5)
    ap.add_argument("--nz", type=int, default=128)
    ap.add_argument("--lr-g", type=float, default=2e-4)
    ap.add_argument("--lr-d", type=float, default=2e-4)
    ap.add_argument("--ema-decay", type=float, default=0.9999)
    ap.add_argument("--sample-every", type=int, default=2000)
    ap.add_argument("--ckpt-every", type=int, default=10_000)
    return ap.parse_args()


def main():
    args = get_args()
    os.makedirs(os.path.join(args.out, "samples"), exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = T.Compose([T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)])
    dataset = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=tf)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True, pin_memory=True)
    batches = infinite(loader)

    G = Generator(args.nz).to(device)
    D = Discriminator().to(device)
    G_ema = copy.deepcopy(G)
    G_ema.eval()
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr_g, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr_d, betas=(0.0, 0.9))

    G.train()
    D.train()
    stats = {"d_loss": [], "g_loss": []}
    t0 = time.time()
    for it in range(1, args.iters + 1):
        # discriminator steps
        for _ in range(args.n_dis):
            real, y_real = next(batches)
            real, y_real = real.to(device, non_blocking=True), y_real.to(device, non_blocking=True)
            z = torch.randn(real.size(0), args.nz, device=device)
            y_fake = torch.randint(0, 10, (real.size(0),), device=device)
            with torch.no_grad():
                fake = G(z, y_fake)
            d_loss = F.relu(1.0 - D(real, y_real)).mean() + F.relu(1.0 + D(fake, y_fake)).mean()
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()

        # generator step
        z = torch.randn(args.batch_size * 2, args.nz, device=device)
        y_fake = torch.randint(0, 10, (args.batch_size * 2,), device=device)
        g_loss = -D(G(z, y_fake), y_fake).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        ema_update(G_ema, G, args.ema_decay)

        stats["d_loss"].append(d_loss.item())
        stats["g_loss"].append(g_loss.item())
        if it % 100 == 0:
            logger.info("it %d d_loss %.4f g_loss %.4f (%.1f it/s)", it,
                        sum(stats["d_loss"][-100:]) / 100, sum(stats["g_loss"][-100:]) / 100,
                        100 / (time.time() - t0))
            t0 = time.time()
        if it % args.sample_every == 0:
            grid = sample_grid(G, args.nz, 10, device)
            vutils.save_image(grid, os.path.join(args.out, "samples", f"G_{it:06d}.png"), nrow=10, normalize=True)
            with torch.no_grad():
                z_fixed = torch.randn(100, args.nz, generator=torch.Generator().manual_seed(0)).to(device)
                y_fixed = torch.arange(10).repeat_interleave(10).to(device)
                ema_images = G_ema(z_fixed, y_fixed)
            vutils.save_image(ema_images, os.path.join(args.out, "samples", f"Gema_{it:06d}.png"), nrow=10, normalize=True)
        if it % args.ckpt_every == 0:
            torch.save({"G": G.state_dict(), "D": D.state_dict(), "G_ema": G_ema.state_dict(),
                        "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "it": it},
                       os.path.join(args.out, f"ckpt_{it:06d}.pth"))

    with open(os.path.join(args.out, "losses.json"), "w") as fh:
        json.dump(stats, fh)
    plot_losses(stats, os.path.join(args.out, "losses.png"))

    G_ema.eval()
    example = (torch.randn(1, args.nz, device=device), torch.zeros(1, dtype=torch.long, device=device))
    traced = torch.jit.trace(G_ema, example)
    traced.save(os.path.join(args.out, "generator_ema.pt"))
    logger.info("exported EMA generator")


if __name__ == "__main__":
    main()
