"""Sample from a trained SNGAN/ResNet generator (EMA weights) and compute
Inception Score + FID against precomputed CIFAR-10 statistics.

    python sample_and_score.py --ckpt logs/sngan_cifar10/model.pt --stats stats/cifar10.train.npz
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from scipy import linalg
from torchvision.utils import save_image


class GenBlock(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.b1 = nn.BatchNorm2d(in_ch)
        self.c1 = nn.Conv2d(in_ch, out_ch, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(out_ch)
        self.c2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1)
        self.sc = nn.Conv2d(in_ch, out_ch, 1, 1, 0)

    def forward(self, x):
        h = F.interpolate(F.relu(self.b1(x)), scale_factor=2)
        h = self.c2(F.relu(self.b2(self.c1(h))))
        return h + self.sc(F.interpolate(x, scale_factor=2))


class ResGenerator32(nn.Module):
    def __init__(self, z_dim=128, ch=256):
        super().__init__()
        self.z_dim, self.ch = z_dim, ch
        self.linear = nn.Linear(z_dim, 4 * 4 * ch, bias=False)
        self.bn0 = nn.BatchNorm2d(ch)
        self.blocks = nn.Sequential(GenBlock(ch, ch), GenBlock(ch, ch), GenBlock(ch, ch))
        self.output = nn.Sequential(nn.BatchNorm2d(ch), nn.ReLU(True), nn.Conv2d(ch, 3, 3, 1, 1), nn.Tanh())

    def forward(self, z):
        h = self.linear(z).view(-1, self.ch, 4, 4)
        h = self.blocks(F.relu(self.bn0(h)))
        return self.output(h)


class InceptionFeatures(nn.Module):
    def __init__(self):
        super().__init__()
        net = torchvision.models.inception_v3(weights="IMAGENET1K_V1", aux_logits=True, transform_input=False)
        self.fc = net.fc
        net.fc = nn.Identity()
        self.net = net
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x):                     # x in [0, 1]
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        pool = self.net((x - self.mean) / self.std)
        return pool, F.softmax(self.fc(pool), dim=1)


def inception_score(probs, splits=10):
    scores = []
    for part in np.array_split(probs, splits):
        py = part.mean(0, keepdims=True)
        kl = (part * (np.log(part + 1e-12) - np.log(py + 1e-12))).sum(1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


def fid_from_feats(feats, mu_ref, sigma_ref):
    mu, sigma = feats.mean(0), np.cov(feats, rowvar=False)
    covmean, _ = linalg.sqrtm(sigma.dot(sigma_ref), disp=False)
    covmean = covmean.real
    diff = mu - mu_ref
    return float(diff @ diff + np.trace(sigma) + np.trace(sigma_ref) - 2 * np.trace(covmean))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--num-images", type=int, default=50000)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--truncation", type=float, default=None)
    ap.add_argument("--save-dir", default=None)
    args = ap.parse_args()
    device = torch.device("cuda")

    G = ResGenerator32().to(device)
    ckpt = torch.load(args.ckpt, map_location=device)
    G.load_state_dict(ckpt["ema_G"] if "ema_G" in ckpt else ckpt["net_G"])
    G.train(mode=False)
    G.requires_grad_(False)

    inception = InceptionFeatures().to(device)
    inception.train(False)

    pools, probs = [], []
    with torch.inference_mode():
        for start in range(0, args.num_images, args.batch_size):
            n = min(args.batch_size, args.num_images - start)
            z = torch.randn(n, G.z_dim, device=device)
            if args.truncation is not None:
                z = torch.fmod(z, args.truncation)
            x = (G(z) + 1) / 2
            if args.save_dir is not None:
                os.makedirs(args.save_dir, exist_ok=True)
                for i, img in enumerate(x):
                    save_image(img, os.path.join(args.save_dir, f"{start + i:05d}.png"))
            pool, p = inception(x)
            pools.append(pool.cpu().numpy())
            probs.append(p.cpu().numpy())

    pools, probs = np.concatenate(pools), np.concatenate(probs)
    ref = np.load(args.stats)
    is_mean, is_std = inception_score(probs)
    fid = fid_from_feats(pools.astype(np.float64), ref["mu"], ref["sigma"])
    print(f"IS {is_mean:.3f} +- {is_std:.3f}   FID {fid:.3f}   ({args.num_images} samples)")


if __name__ == "__main__":
    main()
