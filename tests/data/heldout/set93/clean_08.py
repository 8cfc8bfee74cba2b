"""DCGAN trainer with a dictionary of models / optimisers.

Sample grids and the end-of-epoch evaluation run the networks in eval mode;
``set_train(mode)`` switches every model at once.
"""
from __future__ import annotations

import argparse
import logging
import os
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

log = logging.getLogger("dcgan")


def weights_init(m: nn.Module) -> None:
    name = m.__class__.__name__
    if "Conv" in name:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif "BatchNorm" in name:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.nz = nz
        self.main = nn.Sequential(
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
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, ndf: int = 64, nc: int = 3) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)


class GANTrainer:
    def __init__(self, nz: int = 100, lr: float = 2e-4, device: Optional[str] = None) -> None:
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.nz = nz
        self.models: Dict[str, nn.Module] = {
            "G": Generator(nz).to(self.device),
            "D": Discriminator().to(self.device),
        }
        for m in self.models.values():
            m.apply(weights_init)
        self.optims = {
            name: torch.optim.Adam(m.parameters(), lr=lr, betas=(0.5, 0.999))
            for name, m in self.models.items()
        }
        self.fixed_noise = torch.randn(64, nz, 1, 1, device=self.device)
        self.epoch = 0

    # -- mode management -----------------------------------------------------
    def set_train(self, mode: bool = True) -> None:
        for m in self.models.values():
            m.train(mode)

    # -- checkpointing -------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "models": {k: m.state_dict() for k, m in self.models.items()},
            "optims": {k: o.state_dict() for k, o in self.optims.items()},
            "epoch": self.epoch,
        }

    def load_state_dict(self, state: dict) -> None:
        for k, m in self.models.items():
            m.load_state_dict(state["models"][k])
        for k, o in self.optims.items():
            o.load_state_dict(state["optims"][k])
        self.epoch = state["epoch"] + 1

    # -- training ------------------------------------------------------------
    def train_step(self, real: torch.Tensor) -> Dict[str, float]:
        G, D = self.models["G"], self.models["D"]
        opt_g, opt_d = self.optims["G"], self.optims["D"]
        b = real.size(0)
        ones = torch.ones(b, device=self.device)
        zeros = torch.zeros(b, device=self.device)

        noise = torch.randn(b, self.nz, 1, 1, device=self.device)
        fake = G(noise)

        opt_d.zero_grad(set_to_none=True)
        d_real = D(real)
        d_fake = D(fake.detach())
        loss_d = F.binary_cross_entropy_with_logits(d_real, ones) + \
            F.binary_cross_entropy_with_logits(d_fake, zeros)
        loss_d.backward()
        opt_d.step()

        opt_g.zero_grad(set_to_none=True)
        loss_g = F.binary_cross_entropy_with_logits(D(fake), ones)
        loss_g.backward()
        opt_g.step()

        return {
            "loss_d": loss_d.item(),
            "loss_g": loss_g.item(),
            "D(x)": torch.sigmoid(d_real).mean().item(),
            "D(G(z))": torch.sigmoid(d_fake).mean().item(),
        }

    @torch.no_grad()
    def sample(self, noise: Optional[torch.Tensor] = None) -> torch.Tensor:
        G = self.models["G"]
        was_training = G.training
        G.eval()
        try:
            return G(self.fixed_noise if noise is None else noise).cpu()
        finally:
            G.train(was_training)

    @torch.no_grad()
    def evaluate(self, real_loader: DataLoader, max_batches: int = 20) -> Dict[str, float]:
        """Discriminator accuracy on held-out real images vs fresh samples."""
        self.set_train(False)
        G, D = self.models["G"], self.models["D"]
        correct = total = 0
        for i, (real,) in enumerate(real_loader):
            if i >= max_batches:
                break
            real = real.to(self.device)
            fake = G(torch.randn(real.size(0), self.nz, 1, 1, device=self.device))
            correct += (D(real) > 0).sum().item() + (D(fake) < 0).sum().item()
            total += 2 * real.size(0)
        return {"d_acc": correct / max(total, 1)}

    def fit(self, loader: DataLoader, val_loader: DataLoader, epochs: int, out_dir: str,
            sample_every: int = 500) -> None:
        os.makedirs(out_dir, exist_ok=True)
        for self.epoch in range(self.epoch, epochs):
            self.set_train(True)
            for it, (real,) in enumerate(loader):
                stats = self.train_step(real.to(self.device))
                if it % sample_every == 0:
                    grid = self.sample()
                    torch.save(grid, os.path.join(out_dir, f"samples_e{self.epoch:03d}_i{it:05d}.pt"))
                    log.info("epoch %d it %d %s", self.epoch, it, stats)
            stats = self.evaluate(val_loader)
            log.info("epoch %d eval %s", self.epoch, stats)
            torch.save(self.state_dict(), os.path.join(out_dir, "last.pt"))


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--out", default="dcgan_out")
    p.add_argument("--resume", default=None)
    args = p.parse_args()

    train = TensorDataset(torch.randn(60_000, 3, 64, 64).clamp(-1, 1))
    held_out = TensorDataset(torch.randn(2_000, 3, 64, 64).clamp(-1, 1))
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=2)
    val_loader = DataLoader(held_out, batch_size=256)

    trainer = GANTrainer(lr=args.lr)
    if args.resume:
        trainer.load_state_dict(torch.load(args.resume, map_location=trainer.device))
    trainer.fit(loader, val_loader, args.epochs, args.out)


if __name__ == "__main__":
    main()
