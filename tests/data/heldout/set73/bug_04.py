"""DCGAN on 64x64 face crops, with periodic monitoring of both networks."""
import argparse
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torchvision.utils import save_image


class Generator(nn.Module):
    def __init__(self, nz=100, ngf=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, ndf=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x):
        return self.net(x).view(-1)


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def monitor(models, fixed_z, real_val, out_path):
    models["gen"].eval()
    with torch.no_grad():
        fake = models["gen"](fixed_z)
        scores = torch.sigmoid(models["disc"](torch.cat([real_val, fake])))  # expect: BN101
    models["gen"].train()
    n = real_val.size(0)
    save_image(fake[:64], out_path, normalize=True, nrow=8)
    return scores[:n].mean().item(), scores[n:].mean().item()


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/faces64.pt")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--nz", type=int, default=100)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--monitor-every", type=int, default=500)
    p.add_argument("--out", default="runs/dcgan")
    return p.parse_args()


def main():
    args = parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    images = torch.load(args.data)
    val_real = images[:256].to(device)
    loader = DataLoader(TensorDataset(images[256:]), batch_size=args.batch_size,
                        shuffle=True, drop_last=True, num_workers=4)

    models = {"gen": Generator(args.nz), "disc": Discriminator()}
    optims = {}
    for name, net in models.items():
        net.to(device).apply(init_weights)
        optims[name] = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.5, 0.999))

    fixed_z = torch.randn(64, args.nz, 1, 1, device=device)
    step = 0
    for epoch in range(args.epochs):
        models["gen"].train()
        models["disc"].train  # expect: BN102
        for (real,) in loader:
            real = real.to(device)
            b = real.size(0)
            z = torch.randn(b, args.nz, 1, 1, device=device)
            fake = models["gen"](z)

            d_real = models["disc"](real)
            d_fake = models["disc"](fake.detach())
            loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                      + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
            optims["disc"].zero_grad()
            loss_d.backward()
            optims["disc"].step()

            d_gen = models["disc"](fake)
            loss_g = F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen))
            optims["gen"].zero_grad()
            loss_g.backward()
            optims["gen"].step()

            step += 1
            if step % args.monitor_every == 0:
                p_real, p_fake = monitor(models, fixed_z, val_real,
                                         out / f"samples_{step:07d}.png")
                print(f"ep {epoch} step {step}: loss_d {loss_d.item():.3f} "
                      f"loss_g {loss_g.item():.3f} D(real) {p_real:.3f} D(fake) {p_fake:.3f}")

        torch.save({k: v.state_dict() for k, v in models.items()}, out / f"ckpt_{epoch:03d}.pt")


if __name__ == "__main__":
    main()
