import os
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image

# Convolutional VAE for CelebA 64x64 (beta-VAE objective, Gaussian decoder w/ fixed var)

LATENT = 128


class VAE(nn.Module):
    def __init__(self, in_ch=3, base=32, latent=LATENT):
        super().__init__()
        self.base = base
        self.enc = nn.Sequential(
            nn.Conv2d(in_ch, base, 4, 2, 1, bias=False),        # 32x32
            nn.BatchNorm2d(base),
            nn.LeakyReLU(0.2),
            nn.Conv2d(base, base * 2, 4, 2, 1, bias=False),     # 16x16
            nn.BatchNorm2d(base * 2),
            nn.LeakyReLU(0.2),
            nn.Conv2d(base * 2, base * 4, 4, 2, 1, bias=False), # 8x8
            nn.BatchNorm2d(base * 2),  # expect: BN201
            nn.LeakyReLU(0.2),
            nn.Conv2d(base * 4, base * 8, 4, 2, 1, bias=False), # 4x4
            nn.BatchNorm2d(base * 8),
            nn.LeakyReLU(0.2),
        )
        self.fc_mu = nn.Linear(base * 8 * 4 * 4, latent)
        self.fc_logvar = nn.Linear(base * 8 * 4 * 4, latent)
        self.fc_dec = nn.Linear(latent, base * 8 * 4 * 4)
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(base * 8, base * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(base * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(base * 4, base * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(base * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(base * 2, base, 4, 2, 1, bias=False),
            nn.BatchNorm2d(base),
            nn.ReLU(True),
            nn.ConvTranspose2d(base, in_ch, 4, 2, 1),
            nn.Sigmoid(),
        )

    def encode(self, x):
        h = torch.flatten(self.enc(x), 1)
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + std * torch.randn_like(std)

    def decode(self, z):
        h = F.relu(self.fc_dec(z)).view(-1, self.base * 8, 4, 4)
        return self.dec(h)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar, beta=1.0):
    rec = F.mse_loss(recon_x, x, reduction="sum") / x.size(0)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.size(0)
    return rec + beta * kld, rec, kld


@torch.no_grad()
def evaluate(model, loader, device, beta):
    total, n = 0.0, 0
    for x, _ in loader:
        x = x.to(device)
        recon, mu, logvar = model(x)  # expect: BN101
        loss, _, _ = loss_function(recon, x, mu, logvar, beta)
        total += loss.item() * x.size(0)
        n += x.size(0)
    return total / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/celeba")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--bs", type=int, default=144)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--beta", type=float, default=1.0)
    ap.add_argument("--out", default="results/vae_celeba")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = transforms.Compose([transforms.CenterCrop(148), transforms.Resize(64), transforms.ToTensor()])
    train_set = datasets.CelebA(a.root, split="train", transform=tf, download=False)
    valid_set = datasets.CelebA(a.root, split="valid", transform=tf, download=False)
    train_loader = DataLoader(train_set, batch_size=a.bs, shuffle=True, num_workers=8, drop_last=True)
    valid_loader = DataLoader(valid_set, batch_size=256, shuffle=False, num_workers=8)

    model = VAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95)
    z_fixed = torch.randn(64, LATENT, device=device)

    for epoch in range(1, a.epochs + 1):
        model.train()
        for step, (x, _) in enumerate(train_loader):
            x = x.to(device)
            recon, mu, logvar = model(x)
            loss, rec, kld = loss_function(recon, x, mu, logvar, a.beta)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 200 == 0:
                print(f"ep {epoch} step {step}: loss {loss.item():.2f} rec {rec.item():.2f} kld {kld.item():.2f}")
        sched.step()

        val_loss = evaluate(model, valid_loader, device, a.beta)
        print(f"==> epoch {epoch} valid loss {val_loss:.3f}")

        model.eval()
        with torch.no_grad():
            samples = model.decode(z_fixed)
        save_image(samples, os.path.join(a.out, f"sample_{epoch:03d}.png"), nrow=8)
        torch.save(model.state_dict(), os.path.join(a.out, "vae.pt"))


if __name__ == "__main__":
    main()
