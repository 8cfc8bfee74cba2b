"""DDPM training for 256x256 images with a GroupNorm UNet, EMA weights and gradient accumulation."""
import argparse
import copy
import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as T
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder
from torchvision.utils import save_image


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, temb_dim, groups=32, dropout=0.1):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.temb = nn.Linear(temb_dim, out_ch)
        self.norm2 = nn.GroupNorm(groups, out_ch)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(temb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return h + self.skip(x)


class UNet(nn.Module):
    def __init__(self, ch=128, mults=(1, 1, 2, 2, 4), temb_mult=4):
        super().__init__()
        self.ch = ch
        temb_dim = ch * temb_mult
        self.temb_mlp = nn.Sequential(nn.Linear(ch, temb_dim), nn.SiLU(), nn.Linear(temb_dim, temb_dim))
        self.stem = nn.Conv2d(3, ch, 3, padding=1)
        self.down, self.up = nn.ModuleList(), nn.ModuleList()
        chans, cur = [ch], ch
        for i, m in enumerate(mults):
            self.down.append(ResBlock(cur, ch * m, temb_dim))
            cur = ch * m
            chans.append(cur)
        self.mid = ResBlock(cur, cur, temb_dim)
        for m in reversed(mults):
            self.up.append(ResBlock(cur + chans.pop(), ch * m, temb_dim))
            cur = ch * m
        self.out_norm = nn.GroupNorm(num_groups=32, num_channels=cur, eps=1e-6)
        self.out = nn.Conv2d(cur, 3, 3, padding=1)

    def forward(self, x, t):
        temb = self.temb_mlp(timestep_embedding(t, self.ch))
        h = self.stem(x)
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
        return self.out(F.silu(self.out_norm(h)))


class Diffusion:
    def __init__(self, steps=1000, device="cuda"):
        self.steps = steps
        self.betas = torch.linspace(1e-4, 0.02, steps, device=device)
        self.alphas = 1.0 - self.betas
        self.alpha_bar = torch.cumprod(self.alphas, dim=0)

    def loss(self, model, x0):
        t = torch.randint(0, self.steps, (x0.size(0),), device=x0.device)
        noise = torch.randn_like(x0)
        ab = self.alpha_bar[t].view(-1, 1, 1, 1)
        return F.mse_loss(model(ab.sqrt() * x0 + (1 - ab).sqrt() * noise, t), noise)

    @torch.no_grad()
    def sample(self, model, n, size, device):
        model.eval()
        x = torch.randn(n, 3, size, size, device=device)
        for i in reversed(range(self.steps)):
            t = torch.full((n,), i, device=device, dtype=torch.long)
            eps = model(x, t)
            mean = (x - self.betas[i] / (1 - self.alpha_bar[i]).sqrt() * eps) / self.alphas[i].sqrt()
            x = mean + (self.betas[i].sqrt() * torch.randn_like(x) if i > 0 else 0)
        return x.clamp(-1, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--accum", type=int, default=16)
    parser.add_argument("--steps", type=int, default=500_000)
    parser.add_argument("--ema-decay", type=float, default=0.9999)
    parser.add_argument("--out", type=Path, default=Path("ddpm_run"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cuda")

    tf = T.Compose([T.Resize(256), T.CenterCrop(256), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize([0.5] * 3, [0.5] * 3)])
    loader = DataLoader(ImageFolder(args.data, tf), batch_size=args.batch_size, shuffle=True,
                        num_workers=8, drop_last=True)
    model = UNet().to(device)
    ema = copy.deepcopy(model).requires_grad_(False)
    diffusion = Diffusion(device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    scaler = torch.cuda.amp.GradScaler()

    step, micro = 0, 0
    model.train()
    while step < args.steps:
        for x, _ in loader:
            with torch.autocast("cuda", dtype=torch.float16):
                loss = diffusion.loss(model, x.to(device)) / args.accum
            scaler.scale(loss).backward()
            micro += 1
            if micro % args.accum:
                continue
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            with torch.no_grad():
                for p_e, p in zip(ema.parameters(), model.parameters()):
                    p_e.lerp_(p, 1 - args.ema_decay)
            step += 1
            if step % 10_000 == 0:
                imgs = diffusion.sample(ema, 4, 256, device)
                save_image(imgs * 0.5 + 0.5, args.out / f"sample_{step}.png", nrow=2)
                torch.save({"model": model.state_dict(), "ema": ema.state_dict(), "step": step},
                           args.out / "ckpt.pt")
            if step >= args.steps:
                break


if __name__ == "__main__":
    main()
