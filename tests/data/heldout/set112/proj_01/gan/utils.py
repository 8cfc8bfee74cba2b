import os

import torch
import torch.nn as nn
from torchvision.utils import save_image


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def save_sample_grid(G, z, path, nrow=8):
    """Generate images from a fixed latent batch with running BN statistics."""
    G.eval()
    with torch.no_grad():
        imgs = G(z)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save_image(imgs, path, nrow=nrow, normalize=True, value_range=(-1, 1))
    return imgs


def save_checkpoint(state, out_dir, name="last.pt"):
    os.makedirs(out_dir, exist_ok=True)
    torch.save(state, os.path.join(out_dir, name))
