"""Class-conditional GAN generator with conditional BatchNorm (BigGAN-lite).

The conditional BN wraps ``nn.BatchNorm2d(C, affine=False)``: the gain and
bias come from a class embedding instead of the BN's own affine parameters.
Samples are drawn from an EMA copy of the generator whose BN statistics are
re-estimated ("standing statistics", Brock et al. 2019) before sampling.
"""
import copy
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image


class ConditionalBatchNorm2d(nn.Module):
    def __init__(self, num_features, num_classes):
        super().__init__()
        self.num_features = num_features
        self.bn = nn.BatchNorm2d(num_features, affine=False)
        self.gain = nn.Embedding(num_classes, num_features)
        self.bias = nn.Embedding(num_classes, num_features)
        nn.init.zeros_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x, y):
        out = self.bn(x)
        g = 1 + self.gain(y).view(-1, self.num_features, 1, 1)
        b = self.bias(y).view(-1, self.num_features, 1, 1)
        return out * g + b


class GBlock(nn.Module):
    def __init__(self, in_ch, out_ch, num_classes):
        super().__init__()
        self.bn1 = ConditionalBatchNorm2d(in_ch, num_classes)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.bn2 = ConditionalBatchNorm2d(out_ch, num_classes)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1)

    def forward(self, x, y):
        h = F.interpolate(F.relu(self.bn1(x, y)), scale_factor=2)
        h = self.conv1(h)
        h = self.conv2(F.relu(self.bn2(h, y)))
        return h + self.skip(F.interpolate(x, scale_factor=2))


class Generator(nn.Module):
    def __init__(self, z_dim=128, ch=64, num_classes=10):
        super().__init__()
        self.ch = ch
        self.linear = nn.Linear(z_dim, 4 * 4 * ch * 8)
        self.blocks = nn.ModuleList([
            GBlock(ch * 8, ch * 4, num_classes),
            GBlock(ch * 4, ch * 2, num_classes),
            GBlock(ch * 2, ch, num_classes),
        ])
        self.out_bn = nn.BatchNorm2d(ch)
        self.out_conv = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, z, y):
        h = self.linear(z).view(z.shape[0], self.ch * 8, 4, 4)
        for block in self.blocks:
            h = block(h, y)
        return torch.tanh(self.out_conv(F.relu(self.out_bn(h))))


class Discriminator(nn.Module):
    def __init__(self, ch=64, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            spectral_norm(nn.Conv2d(3, ch, 3, 1, 1)), nn.LeakyReLU(0.1),
            spectral_norm(nn.Conv2d(ch, ch * 2, 4, 2, 1)), nn.LeakyReLU(0.1),
            spectral_norm(nn.Conv2d(ch * 2, ch * 4, 4, 2, 1)), nn.LeakyReLU(0.1),
            spectral_norm(nn.Conv2d(ch * 4, ch * 8, 4, 2, 1)), nn.LeakyReLU(0.1),
        )
        self.linear = spectral_norm(nn.Linear(ch * 8, 1))
        self.embed = spectral_norm(nn.Embedding(num_classes, ch * 8))

    def forward(self, x, y):
        h = self.net(x).sum(dim=(2, 3))
        return self.linear(h).squeeze(1) + (self.embed(y) * h).sum(1)


@torch.no_grad()
def ema_update(ema, model, decay=0.999):
    for p_ema, p in zip(ema.parameters(), model.parameters()):
        p_ema.lerp_(p, 1 - decay)
    for b_ema, b in zip(ema.buffers(), model.buffers()):
        b_ema.copy_(b)


@torch.no_grad()
def accumulate_standing_stats(G, z_dim, num_classes, num_accumulations=16, batch_size=64,
                              device="cuda"):
    """Re-estimate BN statistics of G by averaging over many generated batches.

    BN must be in training mode here on purpose: we only want the layers to
    accumulate running_mean/running_var (cumulative average, momentum=None).
    The outputs are thrown away. G is put back in eval mode afterwards.
    """
    bns = [m for m in G.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    G.train()
    for _ in range(num_accumulations):
        z = torch.randn(batch_size, z_dim, device=device)
        y = torch.randint(0, num_classes, (batch_size,), device=device)
        G(z, y)
    for bn in bns:
        bn.momentum = 0.1
    G.eval()


@torch.no_grad()
def sample_grid(G_ema, z_fixed, y_fixed, path):
    G_ema.eval()
    save_image(G_ema(z_fixed, y_fixed) * 0.5 + 0.5, path, nrow=10)


def main(z_dim=128, num_classes=10, iters=100_000, device="cuda"):
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])
    data = datasets.CIFAR10("data", train=True, download=True, transform=tf)
    loader = DataLoader(data, batch_size=64, shuffle=True, drop_last=True, num_workers=4)
    G, D = Generator(z_dim).to(device), Discriminator().to(device)
    G_ema = copy.deepcopy(G).eval().requires_grad_(False)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.0, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=4e-4, betas=(0.0, 0.999))
    z_fixed = torch.randn(100, z_dim, device=device)
    y_fixed = torch.arange(num_classes, device=device).repeat_interleave(10)
    os.makedirs("samples", exist_ok=True)

    G.train(); D.train()
    step = 0
    while step < iters:
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            z = torch.randn(x.shape[0], z_dim, device=device)
            d_loss = F.relu(1 - D(x, y)).mean() + F.relu(1 + D(G(z, y).detach(), y)).mean()
            opt_d.zero_grad(); d_loss.backward(); opt_d.step()

            g_loss = -D(G(z, y), y).mean()
            opt_g.zero_grad(); g_loss.backward(); opt_g.step()
            ema_update(G_ema, G)

            step += 1
            if step % 5000 == 0:
                accumulate_standing_stats(G_ema, z_dim, num_classes, device=device)
                sample_grid(G_ema, z_fixed, y_fixed, f"samples/{step:06d}.png")
            if step >= iters:
                break
    torch.save({"G": G.state_dict(), "G_ema": G_ema.state_dict()}, "biggan_lite.pt")


if __name__ == "__main__":
    main()
