"""Convolutional beta-VAE on CelebA 64x64 with KL annealing; latent traversals saved every few epochs."""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image

LATENT = 32


class ConvVAE(nn.Module):
    def __init__(self, z_dim=LATENT):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(3, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(256 * 4 * 4, 512, bias=False), nn.BatchNorm1d(512), nn.LeakyReLU(0.2),
        )
        self.mu = nn.Linear(512, z_dim)
        self.logvar = nn.Linear(512, z_dim)
        self.fc = nn.Linear(z_dim, 256 * 4 * 4, bias=False)
        self.bn0 = nn.BatchNorm2d(256)
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(True),
            nn.ConvTranspose2d(32, 3, 4, 2, 1), nn.Sigmoid(),
        )

    def encode(self, x):
        h = self.enc(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        h = self.fc(z).view(-1, 256, 4, 4)
        return self.dec(F.relu(self.bn0(h)))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.decode(z), mu, logvar


def loss_fn(recon, x, mu, logvar, beta):
    rec = F.binary_cross_entropy(recon, x, reduction="sum") / x.size(0)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum() / x.size(0)
    return rec + beta * kl, rec, kl


def latent_traversal(model, x, path, steps=9, span=3.0):
    model.eval()
    with torch.no_grad():
        mu, _ = model.encode(x[:1])
        rows = []
        for d in range(min(LATENT, 10)):
            z = mu.repeat(steps, 1)
            z[:, d] = torch.linspace(-span, span, steps, device=x.device)
            rows.append(model.decode(z))
    model.train()
    save_image(torch.cat(rows), path, nrow=steps)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=144)
    p.add_argument("--beta", type=float, default=4.0)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs("bvae", exist_ok=True)

    tf = transforms.Compose([transforms.CenterCrop(148), transforms.Resize(64), transforms.ToTensor()])
    train = datasets.ImageFolder("./data/celeba/train", tf)
    valid = datasets.ImageFolder("./data/celeba/valid", tf)
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    val_loader = DataLoader(valid, batch_size=256)
    probe = next(iter(val_loader))[0].to(device)

    model = ConvVAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    step, warmup = 0, 10_000
    for epoch in range(args.epochs):
        model.train()
        for x, _ in loader:
            x = x.to(device)
            recon, mu, logvar = model(x)
            beta = args.beta * min(1.0, step / warmup)
            loss, rec, kl = loss_fn(recon, x, mu, logvar, beta)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1

        model.eval()
        val_loss = 0.0
        with torch.no_grad():
            for x, _ in val_loader:
                x = x.to(device)
                recon, mu, logvar = model(x)
                val_loss += loss_fn(recon, x, mu, logvar, args.beta)[0].item() * x.size(0)
        print(f"epoch {epoch}: rec {rec.item():.1f} kl {kl.item():.2f} val {val_loss / len(valid):.1f}")
        if epoch % 5 == 0:
            latent_traversal(model, probe, f"bvae/traverse_{epoch:03d}.png")


if __name__ == "__main__":
    main()
