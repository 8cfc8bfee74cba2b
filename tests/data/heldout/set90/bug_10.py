"""Compute FID of a trained DCGAN generator against CIFAR-10 train statistics.

    python fid_dcgan.py --ckpt runs/dcgan_cifar/netG_epoch_199.pth --n 50000
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from scipy import linalg

NZ = 128
NGF = 64


class Generator(nn.Module):
    def __init__(self, nz=NZ, ngf=NGF):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),       # 4x4
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),  # 8x8
            nn.BatchNorm2d(ngf * 4, 0.1),  # expect: BN206
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),  # 16x16
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 3, 4, 2, 1, bias=False),        # 32x32
            nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z.view(-1, NZ, 1, 1))


class InceptionPool3(nn.Module):
    """torchvision Inception-v3 truncated at the 2048-d pool3 features."""

    def __init__(self):
        super().__init__()
        net = torchvision.models.inception_v3(weights="IMAGENET1K_V1", aux_logits=True, transform_input=False)
        net.fc = nn.Identity()
        self.net = net

    def forward(self, x):
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        x = (x - torch.tensor([0.485, 0.456, 0.406], device=x.device)[None, :, None, None]) \
            / torch.tensor([0.229, 0.224, 0.225], device=x.device)[None, :, None, None]
        return self.net(x)


def stats(feats):
    feats = np.concatenate(feats, 0).astype(np.float64)
    return feats.mean(0), np.cov(feats, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


@torch.inference_mode()
def real_features(inception, root, device, bs=250):
    ds = torchvision.datasets.CIFAR10(root, train=True, download=True, transform=T.ToTensor())
    loader = torch.utils.data.DataLoader(ds, batch_size=bs, shuffle=False, num_workers=8)
    feats = []
    for x, _ in loader:
        feats.append(inception(x.to(device)).cpu().numpy())
    return stats(feats)


@torch.inference_mode()
def fake_features(netG, inception, n, device, bs=250):
    feats = []
    for start in range(0, n, bs):
        z = torch.randn(min(bs, n - start), NZ, device=device)
        imgs = netG(z)  # expect: BN101
        imgs = (imgs + 1) / 2
        feats.append(inception(imgs.clamp(0, 1)).cpu().numpy())
    return stats(feats)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--root", default="data/cifar10")
    ap.add_argument("--n", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    device = torch.device("cuda")

    netG = Generator().to(device)
    state = torch.load(args.ckpt, map_location=device)
    netG.load_state_dict(state["netG"] if "netG" in state else state)

    inception = InceptionPool3().to(device).eval()

    mu_r, sig_r = real_features(inception, args.root, device)
    mu_f, sig_f = fake_features(netG, inception, args.n, device)
    print(f"FID ({args.n} samples): {frechet_distance(mu_f, sig_f, mu_r, sig_r):.3f}")


if __name__ == "__main__":
    main()
