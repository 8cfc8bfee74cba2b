"""Minimal DDPM (Ho et al., 2020) on CIFAR-10 / CelebA-64.

UNet with GroupNorm + SiLU (no BatchNorm, no dropout), linear beta schedule,
EMA of the weights used for sampling.
"""
import argparse
import copy
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torchvision.utils import save_image


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim, groups=32):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(tdim, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class AttnBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.norm = nn.GroupNorm(32, ch)
        self.qkv = nn.Conv2d(ch, ch * 3, 1)
        self.proj = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(B, 3, C, H * W).unbind(1)
        attn = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(C), dim=-1)
        return x + self.proj((v @ attn.transpose(1, 2)).reshape(B, C, H, W))


class UNet(nn.Module):
    def __init__(self, ch=128, mults=(1, 2, 2, 2), attn_res=(16,), img=32):
        super().__init__()
        tdim = ch * 4
        self.ch = ch
        self.time = nn.Sequential(nn.Linear(ch, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        self.inp = nn.Conv2d(3, ch, 3, padding=1)
        self.down, chans, cur, res = nn.ModuleList(), [ch], ch, img
        for i, m in enumerate(mults):
            for _ in range(2):
                self.down.append(nn.ModuleList([ResBlock(cur, ch * m, tdim),
                                                AttnBlock(ch * m) if res in attn_res else nn.Identity()]))
                cur = ch * m
                chans.append(cur)
            if i != len(mults) - 1:
                self.down.append(nn.Conv2d(cur, cur, 3, stride=2, padding=1))
                chans.append(cur)
                res //= 2
        self.mid1, self.mid_attn, self.mid2 = ResBlock(cur, cur, tdim), AttnBlock(cur), ResBlock(cur, cur, tdim)
        self.up = nn.ModuleList()
        for i, m in reversed(list(enumerate(mults))):
            for _ in range(3):
                self.up.append(nn.ModuleList([ResBlock(cur + chans.pop(), ch * m, tdim),
                                              AttnBlock(ch * m) if res in attn_res else nn.Identity()]))
                cur = ch * m
            if i != 0:
                self.up.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                             nn.Conv2d(cur, cur, 3, padding=1)))
                res *= 2
        self.out = nn.Sequential(nn.GroupNorm(32, cur), nn.SiLU(), nn.Conv2d(cur, 3, 3, padding=1))

    def forward(self, x, t):
        temb = self.time(timestep_embedding(t, self.ch))
        hs = [self.inp(x)]
        for layer in self.down:
            if isinstance(layer, nn.ModuleList):
                hs.append(layer[1](layer[0](hs[-1], temb)))
            else:
                hs.append(layer(hs[-1]))
        h = self.mid2(self.mid_attn(self.mid1(hs[-1], temb)), temb)
        for layer in self.up:
            if isinstance(layer, nn.ModuleList):
                h = layer[1](layer[0](torch.cat([h, hs.pop()], 1), temb))
            else:
                h = layer(h)
        return self.out(h)


class Diffusion:
    def __init__(self, T_=1000, device="cuda"):
        self.T = T_
        self.betas = torch.linspace(1e-4, 0.02, T_, device=device)
        self.alphas = 1.0 - self.betas
        self.abar = torch.cumprod(self.alphas, 0)

    def q_sample(self, x0, t, noise):
        a = self.abar[t].sqrt()[:, None, None, None]
        s = (1 - self.abar[t]).sqrt()[:, None, None, None]
        return a * x0 + s * noise

    @torch.no_grad()
    def sample(self, model, n, img=32):
        x = torch.randn(n, 3, img, img, device=self.betas.device)
        for i in reversed(range(self.T)):
            t = torch.full((n,), i, device=x.device, dtype=torch.long)
            eps = model(x, t)
            mean = (x - self.betas[i] / (1 - self.abar[i]).sqrt() * eps) / self.alphas[i].sqrt()
            x = mean + (self.betas[i].sqrt() * torch.randn_like(x) if i > 0 else 0)
        return x.clamp(-1, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data")
    ap.add_argument("--steps", type=int, default=800_000)
    ap.add_argument("--bs", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--ema", type=float, default=0.9999)
    ap.add_argument("--logdir", default="logs/ddpm_cifar")
    args = ap.parse_args()
    os.makedirs(args.logdir, exist_ok=True)
    dev = torch.device("cuda")

    ds = torchvision.datasets.CIFAR10(args.data, train=True, download=True, transform=T.Compose([
        T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)]))
    loader = torch.utils.data.DataLoader(ds, batch_size=args.bs, shuffle=True, num_workers=4, drop_last=True)
    net = UNet().to(dev)
    ema = copy.deepcopy(net)
    diff = Diffusion(device=dev)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)

    step = 0
    while step < args.steps:
        for x0, _ in loader:
            x0 = x0.to(dev)
            t = torch.randint(0, diff.T, (x0.size(0),), device=dev)
            noise = torch.randn_like(x0)
            loss = F.mse_loss(net(diff.q_sample(x0, t, noise), t), noise)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            with torch.no_grad():
                for pe, p in zip(ema.parameters(), net.parameters()):
                    pe.mul_(args.ema).add_(p, alpha=1 - args.ema)
            step += 1
            if step % 5000 == 0:
                # GroupNorm only, no dropout: train/eval mode makes no difference here
                samples = diff.sample(ema, 64)
                save_image(samples * 0.5 + 0.5, os.path.join(args.logdir, f"sample_{step:07d}.png"), nrow=8)
                torch.save({"net": net.state_dict(), "ema": ema.state_dict(), "step": step},
                           os.path.join(args.logdir, "ckpt.pt"))
            if step >= args.steps:
                break


if __name__ == "__main__":
    main()
