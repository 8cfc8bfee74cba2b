"""DDPM on 256x256 face crops with a GroupNorm UNet and an EMA copy for sampling."""
import argparse
import copy
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from torch.utils.data import DataLoader


def norm(ch):
    return nn.GroupNorm(32, ch)


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, temb_ch):
        super().__init__()
        self.norm1 = norm(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.temb = nn.Linear(temb_ch, out_ch)
        self.norm2 = norm(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class UNet(nn.Module):
    def __init__(self, ch=64, mults=(1, 1, 2, 2, 4)):
        super().__init__()
        temb_ch = ch * 4
        self.temb = nn.Sequential(nn.Linear(ch, temb_ch), nn.SiLU(), nn.Linear(temb_ch, temb_ch))
        self.ch = ch
        self.inp = nn.Conv2d(3, ch, 3, padding=1)
        self.down, self.up = nn.ModuleList(), nn.ModuleList()
        chans, cur = [ch], ch
        for i, m in enumerate(mults):
            self.down.append(ResBlock(cur, ch * m, temb_ch))
            cur = ch * m
            chans.append(cur)
        self.mid = ResBlock(cur, cur, temb_ch)
        for i, m in reversed(list(enumerate(mults))):
            self.up.append(ResBlock(cur + chans.pop(), ch * m, temb_ch))
            cur = ch * m
        self.out = nn.Sequential(norm(cur), nn.SiLU(), nn.Conv2d(cur, 3, 3, padding=1))

    def forward(self, x, t):
        temb = self.temb(timestep_embedding(t, self.ch))
        h = self.inp(x)
        skips = [h]
        for i, block in enumerate(self.down):
            h = block(h, temb)
            skips.append(h)
            if i < len(self.down) - 1:
                h = F.avg_pool2d(h, 2)
        h = self.mid(h, temb)
        for i, block in enumerate(self.up):
            skip = skips.pop()
            if h.shape[-1] != skip.shape[-1]:
                h = F.interpolate(h, size=skip.shape[-2:], mode="nearest")
            h = block(torch.cat([h, skip], dim=1), temb)
        return self.out(h)


class Diffusion:
    def __init__(self, timesteps=1000, device="cuda"):
        self.T = timesteps
        self.betas = torch.linspace(1e-4, 0.02, timesteps, device=device)
        self.alphas = 1.0 - self.betas
        self.alpha_bar = torch.cumprod(self.alphas, dim=0)

    def q_sample(self, x0, t, noise):
        ab = self.alpha_bar[t][:, None, None, None]
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    @torch.no_grad()
    def sample(self, model, n, size, device):
        x = torch.randn(n, 3, size, size, device=device)
        for i in reversed(range(self.T)):
            t = torch.full((n,), i, device=device, dtype=torch.long)
            eps = model(x, t)
            a, ab, b = self.alphas[i], self.alpha_bar[i], self.betas[i]
            x = (x - b / (1 - ab).sqrt() * eps) / a.sqrt()
            if i > 0:
                x = x + b.sqrt() * torch.randn_like(x)
        return x.clamp(-1, 1)


@torch.no_grad()
def ema_update(ema, model, decay):
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm, 1.0 - decay)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="./data/ffhq256")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--steps", type=int, default=500_000)
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--sample-every", type=int, default=10_000)
    args = p.parse_args()

    device = "cuda"
    tf = T.Compose([T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])
    loader = DataLoader(torchvision.datasets.ImageFolder(args.data, tf), batch_size=args.batch_size,
                        shuffle=True, num_workers=8)
    model = UNet().to(device)
    ema = copy.deepcopy(model).requires_grad_(False)
    diffusion = Diffusion(device=device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    os.makedirs("samples", exist_ok=True)

    step = 0
    while step < args.steps:
        for x0, _ in loader:
            x0 = x0.to(device)
            t = torch.randint(0, diffusion.T, (x0.size(0),), device=device)
            noise = torch.randn_like(x0)
            loss = F.mse_loss(model(diffusion.q_sample(x0, t, noise), t), noise)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            ema_update(ema, model, 0.9999)
            step += 1
            if step % args.sample_every == 0:
                imgs = diffusion.sample(ema, 16, 256, device)
                torchvision.utils.save_image((imgs + 1) / 2, f"samples/{step:07d}.png", nrow=4)
                torch.save({"model": model.state_dict(), "ema": ema.state_dict()}, "ddpm_ffhq.pt")
                print(f"step {step} loss {loss.item():.4f}")
            if step >= args.steps:
                break


if __name__ == "__main__":
    main()
