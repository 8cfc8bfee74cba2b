"""Conditional GAN on MNIST digits with periodic sample grids; the generator is
exported to TorchScript at the end of training."""
import os

import torch
import torch.nn as nn
import torchvision.utils as vutils
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

Z_DIM, N_CLASSES = 64, 10


class CondGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(N_CLASSES, 16)
        self.fc = nn.Sequential(
            nn.Linear(Z_DIM + 16, 128 * 7 * 7, bias=False),
            nn.BatchNorm1d(128 * 7 * 7),
            nn.ReLU(True),
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(True),
            nn.ConvTranspose2d(64, 1, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, z, labels):
        h = self.fc(torch.cat([z, self.embed(labels)], dim=1))
        return self.up(h.view(-1, 128, 7, 7))


class CondDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(N_CLASSES, 28 * 28)
        self.net = nn.Sequential(
            nn.Conv2d(2, 64, 4, 2, 1),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.LeakyReLU(0.2, True),
            nn.Flatten(),
            nn.Linear(128 * 7 * 7, 1),
        )

    def forward(self, x, labels):
        cond = self.embed(labels).view(-1, 1, 28, 28)
        return self.net(torch.cat([x, cond], dim=1)).view(-1)


def main():
    os.makedirs("cgan_samples", exist_ok=True)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    loader = DataLoader(datasets.MNIST("./data", train=True, download=True, transform=tf),
                        batch_size=128, shuffle=True, drop_last=True, num_workers=2)

    G, D = CondGenerator(), CondDiscriminator()
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    fixed_z = torch.randn(100, Z_DIM)
    fixed_labels = torch.arange(N_CLASSES).repeat_interleave(10)

    step = 0
    for epoch in range(30):
        G.train()
        D.train()
        for real, labels in loader:
            b = real.size(0)
            z = torch.randn(b, Z_DIM)
            fake = G(z, labels)

            optD.zero_grad()
            d_loss = bce(D(real, labels), torch.ones(b)) + bce(D(fake.detach(), labels), torch.zeros(b))
            d_loss.backward()
            optD.step()

            optG.zero_grad()
            g_loss = bce(D(fake, labels), torch.ones(b))
            g_loss.backward()
            optG.step()

            if step % 1000 == 0:
                G.eval()
                with torch.no_grad():
                    grid = G(fixed_z, fixed_labels)
                G.train()
                vutils.save_image(grid, f"cgan_samples/step_{step:06d}.png", nrow=10, normalize=True)
                print(f"step {step}: D {d_loss.item():.3f}  G {g_loss.item():.3f}")
            step += 1

    G.eval()
    example = (torch.randn(1, Z_DIM), torch.zeros(1, dtype=torch.long))
    traced = torch.jit.trace(G, example)
    traced.save("cgan_generator.pt")


if __name__ == "__main__":
    main()
