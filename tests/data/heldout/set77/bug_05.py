"""MLP VAE on MNIST with BatchNorm in encoder and decoder; logs reconstructions and ELBO per epoch."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image

LATENT = 20


class VAE(nn.Module):
    def __init__(self, latent=LATENT):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(784, 512, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(),
            nn.Linear(512, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
        )
        self.fc_mu = nn.Linear(256, latent)
        self.fc_logvar = nn.Linear(256, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, 256, bias=False),
            nn.BatchNorm2d(256),  # expect: BN202
            nn.ReLU(),
            nn.Linear(256, 512, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(),
            nn.Linear(512, 784),
            nn.Sigmoid(),
        )

    def encode(self, x):
        h = self.encoder(x.view(-1, 784))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def elbo_loss(recon, x, mu, logvar, beta=1.0):
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + beta * kld


def train_epoch(model, loader, opt, device, beta):
    model.train()
    total = 0.0
    for x, _ in loader:
        x = x.to(device)
        opt.zero_grad()
        recon, mu, logvar = model(x)
        loss = elbo_loss(recon, x, mu, logvar, beta)
        loss.backward()
        opt.step()
        total += loss.item()
    return total / len(loader.dataset)


def test(model, loader, device):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, _ in loader:
            x = x.to(device)
            recon, mu, logvar = model(x)
            total += elbo_loss(recon, x, mu, logvar).item()
    return total / len(loader.dataset)


def save_reconstructions(model, batch, epoch, device):
    model.eval  # expect: BN102
    x = batch.to(device)
    with torch.no_grad():
        recon, _, _ = model(x)  # expect: BN101
    grid = torch.cat([x[:16], recon.view(-1, 1, 28, 28)[:16]])
    save_image(grid.cpu(), f"results/reconstruction_{epoch}.png", nrow=16)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--beta", type=float, default=1.0)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = transforms.ToTensor()
    train_loader = DataLoader(datasets.MNIST("./data", train=True, download=True, transform=tf),
                              batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(datasets.MNIST("./data", train=False, transform=tf), batch_size=256)
    fixed_batch, _ = next(iter(test_loader))

    model = VAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(1, args.epochs + 1):
        train_loss = train_epoch(model, train_loader, opt, device, args.beta)
        save_reconstructions(model, fixed_batch, epoch, device)
        test_loss = test(model, test_loader, device)
        print(f"epoch {epoch}: train {train_loss:.2f} test {test_loss:.2f}")

    model.eval()
    with torch.no_grad():
        samples = model.decode(torch.randn(64, LATENT, device=device))
    save_image(samples.view(64, 1, 28, 28).cpu(), "results/samples_final.png")
    torch.save(model.state_dict(), "vae_mnist.pt")


if __name__ == "__main__":
    main()
