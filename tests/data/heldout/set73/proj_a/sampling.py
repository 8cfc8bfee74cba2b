"""Monitoring helpers used from the training loop."""
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.utils import save_image

from models import NZ


def save_samples(models, z, out_dir, step):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        fake = models["gen"](z)  # expect: BN101
    save_image(fake, out_dir / f"samples_{step:07d}.png", nrow=8, normalize=True,
               value_range=(-1, 1))
    return fake


def discriminator_accuracy(models, real, z):
    """Fraction of real/fake images the discriminator labels correctly."""
    gen, disc = models["gen"], models["disc"]
    gen_mode, disc_mode = gen.training, disc.training
    gen.eval()
    disc.eval()
    try:
        with torch.no_grad():
            fake = gen(z)
            logits = disc(torch.cat([real, fake]))
        target = torch.cat([torch.ones(real.size(0)), torch.zeros(fake.size(0))]).to(logits.device)
        return ((logits > 0).float() == target).float().mean().item()
    finally:
        gen.train(gen_mode)
        disc.train(disc_mode)


def interpolate_latents(z0, z1, steps=8):
    alphas = torch.linspace(0, 1, steps, device=z0.device)[:, None]
    # spherical interpolation keeps the norm of Gaussian latents
    z0n, z1n = F.normalize(z0, dim=-1), F.normalize(z1, dim=-1)
    omega = torch.acos((z0n * z1n).sum(-1).clamp(-1, 1))
    so = torch.sin(omega)
    return (torch.sin((1 - alphas) * omega) / so) * z0 + (torch.sin(alphas * omega) / so) * z1


def r1_penalty(disc, real, gamma=10.0):
    real = real.detach().requires_grad_(True)
    scores = disc(real)
    grad, = torch.autograd.grad(scores.sum(), real, create_graph=True)
    return 0.5 * gamma * grad.pow(2).flatten(1).sum(1).mean()


def latent_walk(models, out_dir, step, seed=0):
    gen = models["gen"]
    was_training = gen.training
    gen.eval()
    g = torch.Generator(device="cpu").manual_seed(seed)
    device = next(gen.parameters()).device
    z0 = torch.randn(1, NZ, generator=g).to(device)
    z1 = torch.randn(1, NZ, generator=g).to(device)
    with torch.no_grad():
        frames = gen(interpolate_latents(z0, z1))
    gen.train(was_training)
    save_image(frames, Path(out_dir) / f"walk_{step:07d}.png", nrow=8, normalize=True,
               value_range=(-1, 1))
