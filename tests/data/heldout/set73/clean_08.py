"""Conditional GAN on 28x28 digits; both networks live in a dict so that the
checkpointing and mode switching code stays generic."""
import argparse
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image


class CondGenerator(nn.Module):
    def __init__(self, nz=64, num_classes=10):
        super().__init__()
        self.embed = nn.Embedding(num_classes, 16)
        self.fc = nn.Sequential(
            nn.Linear(nz + 16, 128 * 7 * 7, bias=False),
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
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1 + num_classes, 64, 4, 2, 1),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.LeakyReLU(0.2, True),
        )
        self.out = nn.Linear(128 * 7 * 7, 1)
        self.num_classes = num_classes

    def forward(self, x, labels):
        onehot = F.one_hot(labels, self.num_classes).float()[:, :, None, None]
        x = torch.cat([x, onehot.expand(-1, -1, x.size(2), x.size(3))], dim=1)
        return self.out(self.conv(x).flatten(1)).squeeze(1)


def set_mode(models, training):
    for net in models.values():
        net.train(training)


def snapshot(models, z, labels, path):
    set_mode(models, False)
    with torch.no_grad():
        fake = models["gen"](z, labels)
        realism = torch.sigmoid(models["disc"](fake, labels)).mean().item()
    set_mode(models, True)
    save_image(fake, path, nrow=10, normalize=True)
    return realism


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--nz", type=int, default=64)
    p.add_argument("--out", type=Path, default=Path("runs/cgan"))
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.out.mkdir(parents=True, exist_ok=True)

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    loader = DataLoader(datasets.MNIST("data", train=True, transform=tf), batch_size=args.batch_size,
                        shuffle=True, drop_last=True, num_workers=2)

    models = {"gen": CondGenerator(args.nz).to(device), "disc": CondDiscriminator().to(device)}
    opt = {k: torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for k, m in models.items()}
    fixed_z = torch.randn(100, args.nz, device=device)
    fixed_y = torch.arange(10, device=device).repeat_interleave(10)

    for epoch in range(args.epochs):
        set_mode(models, True)
        for real, y in loader:
            real, y = real.to(device), y.to(device)
            z = torch.randn(real.size(0), args.nz, device=device)
            fake = models["gen"](z, y)

            d_loss = (F.softplus(-models["disc"](real, y)).mean()
                      + F.softplus(models["disc"](fake.detach(), y)).mean())
            opt["disc"].zero_grad()
            d_loss.backward()
            opt["disc"].step()

            g_loss = F.softplus(-models["disc"](fake, y)).mean()
            opt["gen"].zero_grad()
            g_loss.backward()
            opt["gen"].step()

        realism = snapshot(models, fixed_z, fixed_y, args.out / f"epoch_{epoch:03d}.png")
        print(f"epoch {epoch}: d {d_loss.item():.3f} g {g_loss.item():.3f} D(G(z)) {realism:.3f}")
        torch.save({k: m.state_dict() for k, m in models.items()}, args.out / "last.pt")

    models["gen"].eval()
    scripted = torch.jit.trace(models["gen"], (fixed_z[:1], fixed_y[:1]))
    scripted.save(str(args.out / "generator.ts"))


if __name__ == "__main__":
    main()
