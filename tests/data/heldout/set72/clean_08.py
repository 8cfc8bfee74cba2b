"""DCGAN on CelebA (64x64) with an exponential moving average of the generator."""
import argparse
import copy
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as T
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder
from torchvision.utils import save_image

NZ, NGF, NDF, NC = 128, 64, 64, 3


def up_block(in_ch, out_ch):
    return [nn.ConvTranspose2d(in_ch, out_ch, 4, 2, 1, bias=False), nn.BatchNorm2d(out_ch), nn.ReLU(True)]


def down_block(in_ch, out_ch):
    return [nn.Conv2d(in_ch, out_ch, 4, 2, 1, bias=False), nn.BatchNorm2d(out_ch), nn.LeakyReLU(0.2, True)]


class Generator(nn.Module):
    def __init__(self, nz=NZ, ngf=NGF, nc=NC):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            *up_block(ngf * 8, ngf * 4),
            *up_block(ngf * 4, ngf * 2),
            *up_block(ngf * 2, ngf),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z.view(z.size(0), -1, 1, 1))


class Discriminator(nn.Module):
    def __init__(self, ndf=NDF, nc=NC):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1),
            nn.LeakyReLU(0.2, True),
            *down_block(ndf, ndf * 2),
            *down_block(ndf * 2, ndf * 4),
            *down_block(ndf * 4, ndf * 8),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0),
        )

    def forward(self, x):
        return self.net(x).flatten()


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class GeneratorEMA:
    def __init__(self, generator: nn.Module, decay: float = 0.999):
        self.decay = decay
        self.model = copy.deepcopy(generator)
        self.model.requires_grad_(False)
        self.model.eval()

    @torch.no_grad()
    def update(self, generator: nn.Module):
        for p_ema, p in zip(self.model.parameters(), generator.parameters()):
            p_ema.lerp_(p, 1.0 - self.decay)
        for b_ema, b in zip(self.model.buffers(), generator.buffers()):
            b_ema.copy_(b)


@torch.no_grad()
def sample_grid(generator: nn.Module, fixed_z: torch.Tensor, path: Path):
    generator.eval()
    images = generator(fixed_z)
    save_image(images * 0.5 + 0.5, path, nrow=8)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", type=Path, default=Path("samples"))
    args = parser.parse_args()
    args.out.mkdir(exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = T.Compose([T.Resize(64), T.CenterCrop(64), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])
    loader = DataLoader(ImageFolder(args.data, tf), batch_size=args.batch_size, shuffle=True,
                        num_workers=8, drop_last=True)

    G, D = Generator().to(device), Discriminator().to(device)
    G.apply(init_weights)
    D.apply(init_weights)
    g_ema = GeneratorEMA(G)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    fixed_z = torch.randn(64, NZ, device=device)

    for epoch in range(args.epochs):
        G.train()
        D.train()
        for i, (real, _) in enumerate(loader):
            real = real.to(device, non_blocking=True)
            z = torch.randn(real.size(0), NZ, device=device)
            fake = G(z)

            d_real, d_fake = D(real), D(fake.detach())
            loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                      + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()

            g_logits = D(fake)
            loss_g = F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            g_ema.update(G)

            if i % 200 == 0:
                print(f"[{epoch}/{args.epochs}][{i}/{len(loader)}] loss_d {loss_d.item():.3f} "
                      f"loss_g {loss_g.item():.3f} D(x) {torch.sigmoid(d_real).mean().item():.3f}")
        sample_grid(g_ema.model, fixed_z, args.out / f"ema_{epoch:03d}.png")
        torch.save({"G": G.state_dict(), "D": D.state_dict(), "G_ema": g_ema.model.state_dict(),
                    "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "epoch": epoch},
                   args.out / "checkpoint.pt")


if __name__ == "__main__":
    main()
