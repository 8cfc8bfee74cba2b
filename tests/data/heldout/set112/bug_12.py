"""GAN inversion by latent optimisation.

Given a pretrained DCGAN generator G, find z* such that G(z*) reconstructs a
set of target images. G is frozen; only z (one per target) is optimised.
Loss = pixel MSE + perceptual loss on VGG16 conv features.
"""
import argparse
import glob
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as T
from PIL import Image
from torchvision.models import VGG16_Weights, vgg16
from torchvision.utils import save_image

NZ, NGF, NC = 100, 64, 3


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        layers = []
        chans = [NZ, NGF * 8, NGF * 4, NGF * 2, NGF]
        for i, (cin, cout) in enumerate(zip(chans[:-1], chans[1:])):
            stride, pad = (1, 0) if i == 0 else (2, 1)
            layers += [nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(z.view(z.size(0), NZ, 1, 1))


class VGGPerceptual(nn.Module):
    def __init__(self, layer=16):
        super().__init__()
        self.features = vgg16(weights=VGG16_Weights.IMAGENET1K_V1).features[:layer].eval()
        for p in self.features.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x, y):
        x = ((x + 1) / 2 - self.mean) / self.std
        y = ((y + 1) / 2 - self.mean) / self.std
        return F.mse_loss(self.features(x), self.features(y))


def load_targets(folder, size=64):
    tf = T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])
    paths = sorted(glob.glob(os.path.join(folder, "*.png")) + glob.glob(os.path.join(folder, "*.jpg")))
    return torch.stack([tf(Image.open(p).convert("RGB")) for p in paths]), paths


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="netG_epoch_24.pth")
    ap.add_argument("--targets", default="targets/")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--lambda-perc", type=float, default=0.5)
    ap.add_argument("--out", default="inversion_out")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    G = Generator().to(device)
    G.load_state_dict(torch.load(args.ckpt, map_location=device))
    G.eval  # expect: BN102
    G.requires_grad_(False)  # expect: BN105

    percep = VGGPerceptual().to(device)
    targets, paths = load_targets(args.targets)
    targets = targets.to(device)

    z = torch.randn(targets.size(0), NZ, device=device, requires_grad=True)
    opt = torch.optim.Adam([z], lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.steps)

    for step in range(args.steps):
        recon = G(z)
        loss = F.mse_loss(recon, targets) + args.lambda_perc * percep(recon, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            # keep z near the prior's typical set
            z.data = z.data / z.data.norm(dim=1, keepdim=True) * (NZ ** 0.5)
        if step % 100 == 0:
            print(f"step {step:5d}  loss {loss.item():.5f}")

    save_image(torch.cat([targets, recon.detach()]), os.path.join(args.out, "targets_vs_recon.png"), nrow=targets.size(0), normalize=True)
    torch.save({"z": z.detach().cpu(), "paths": paths}, os.path.join(args.out, "latents.pt"))


if __name__ == "__main__":
    main()
