"""Conditional DCGAN on Fashion-MNIST: class embedding concatenated to the noise vector."""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image

NZ = 100
N_CLASSES = 10
NGF = 64
NDF = 64


class CondGenerator(nn.Module):
    def __init__(self, nz=NZ, ngf=NGF):
        super().__init__()
        self.label_emb = nn.Embedding(N_CLASSES, N_CLASSES)
        self.fc = nn.Sequential(
            nn.Linear(nz + N_CLASSES, ngf * 4 * 7 * 7, bias=False),
            nn.BatchNorm1d(ngf * 4 * 7 * 7),
            nn.ReLU(True),
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.Conv2d(ngf, 1, 3, 1, 1),
            nn.Tanh(),
        )

    def forward(self, z, y):
        h = self.fc(torch.cat([z, self.label_emb(y)], dim=1))
        return self.deconv(h.view(z.size(0), NGF * 4, 7, 7))


class CondDiscriminator(nn.Module):
    def __init__(self, ndf=NDF):
        super().__init__()
        self.label_emb = nn.Embedding(N_CLASSES, 28 * 28)
        self.conv = nn.Sequential(
            nn.Conv2d(2, ndf, 4, 2, 1),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Flatten(),
            nn.Linear(ndf * 2 * 7 * 7, 1),
        )

    def forward(self, x, y):
        label_map = self.label_emb(y).view(-1, 1, 28, 28)
        return self.conv(torch.cat([x, label_map], 1)).squeeze(1)


def save_class_grid(G, path, device, per_class=8):
    G.eval()
    with torch.no_grad():
        y = torch.arange(N_CLASSES, device=device).repeat_interleave(per_class)
        z = torch.randn(y.numel(), NZ, device=device)
        imgs = G(z, y)
    G.train()
    save_image(imgs * 0.5 + 0.5, path, nrow=per_class)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--out", default="cdcgan_out")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    data = datasets.FashionMNIST("./data", train=True, download=True, transform=tf)
    loader = DataLoader(data, batch_size=args.batch_size, shuffle=True, num_workers=4, drop_last=True)

    G, D = CondGenerator().to(device), CondDiscriminator().to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))

    for epoch in range(args.epochs):
        for i, (x, y) in enumerate(loader):
            x, y = x.to(device), y.to(device)
            z = torch.randn(x.size(0), NZ, device=device)
            fake_y = torch.randint(0, N_CLASSES, (x.size(0),), device=device)
            fake = G(z, fake_y)

            d_real, d_fake = D(x, y), D(fake.detach(), fake_y)
            loss_D = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
                F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()

            d_gen = D(fake, fake_y)
            loss_G = F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen))
            opt_G.zero_grad()
            loss_G.backward()
            opt_G.step()

            if i % 200 == 0:
                print(f"epoch {epoch} it {i}: D {loss_D.item():.3f} G {loss_G.item():.3f}")
                save_class_grid(G, f"{args.out}/e{epoch:02d}_i{i:04d}.png", device)

        torch.save({"G": G.state_dict(), "D": D.state_dict()}, f"{args.out}/ckpt.pt")


if __name__ == "__main__":
    main()
