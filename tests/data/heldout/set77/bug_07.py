"""DDPM on 64x64 face crops with a small BatchNorm UNet and an EMA copy used for sampling."""
import copy
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image

T_STEPS = 1000
TIME_DIM = 256


def timestep_embedding(t, dim=TIME_DIM):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], dim=1)


class ResBlock(nn.Module):
    def __init__(self, in_c, out_c, t_dim=TIME_DIM):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, out_c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_c)
        self.t_proj = nn.Linear(t_dim, out_c)
        self.conv2 = nn.Conv2d(out_c, out_c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_c)
        self.skip = nn.Conv2d(in_c, out_c, 1) if in_c != out_c else nn.Identity()

    def forward(self, x, temb):
        h = F.silu(self.bn1(self.conv1(x)))
        h = h + self.t_proj(temb)[:, :, None, None]
        h = F.silu(self.bn2(self.conv2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.time_mlp = nn.Sequential(nn.Linear(TIME_DIM, TIME_DIM), nn.SiLU(), nn.Linear(TIME_DIM, TIME_DIM))
        self.inc = nn.Conv2d(3, 64, 3, padding=1)
        self.down1 = ResBlock(64, 128)
        self.down2 = ResBlock(128, 256)
        self.mid = ResBlock(256, 256)
        self.up2 = ResBlock(256 + 256, 128)
        self.up1 = ResBlock(128 + 128, 64)
        self.out = nn.Sequential(
            nn.Conv2d(64 + 64, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),  # expect: BN201
            nn.SiLU(),
            nn.Conv2d(64, 3, 1),
        )

    def forward(self, x, t):
        temb = self.time_mlp(timestep_embedding(t))
        x0 = self.inc(x)
        x1 = self.down1(F.avg_pool2d(x0, 2), temb)
        x2 = self.down2(F.avg_pool2d(x1, 2), temb)
        m = self.mid(x2, temb)
        u2 = self.up2(torch.cat([m, x2], 1), temb)
        u2 = F.interpolate(u2, scale_factor=2, mode="nearest")
        u1 = self.up1(torch.cat([u2, x1], 1), temb)
        u1 = F.interpolate(u1, scale_factor=2, mode="nearest")
        return self.out(torch.cat([u1, x0], 1))


class Diffusion:
    def __init__(self, device):
        self.betas = torch.linspace(1e-4, 0.02, T_STEPS, device=device)
        self.alphas = 1.0 - self.betas
        self.alpha_bar = torch.cumprod(self.alphas, 0)

    def q_sample(self, x0, t, noise):
        ab = self.alpha_bar[t][:, None, None, None]
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise


@torch.no_grad()
def sample(net, diff, n, device):
    x = torch.randn(n, 3, 64, 64, device=device)
    for i in reversed(range(T_STEPS)):
        t = torch.full((n,), i, device=device, dtype=torch.long)
        eps = net(x, t)  # expect: BN101
        a, ab, b = diff.alphas[i], diff.alpha_bar[i], diff.betas[i]
        mean = (x - b / (1 - ab).sqrt() * eps) / a.sqrt()
        x = mean + (b.sqrt() * torch.randn_like(x) if i > 0 else 0.0)
    return x.clamp(-1, 1)


@torch.no_grad()
def ema_update(ema, model, decay=0.999):
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
    for be, bm in zip(ema.buffers(), model.buffers()):
        be.copy_(bm)


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs("ddpm_samples", exist_ok=True)
    tf = transforms.Compose([
        transforms.Resize(64), transforms.CenterCrop(64), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3),
    ])
    dataset = datasets.ImageFolder("./data/celeba_crops", transform=tf)
    loader = DataLoader(dataset, batch_size=4, shuffle=True, num_workers=4, drop_last=True)  # expect: BN301

    model = UNet().to(device)
    ema = copy.deepcopy(model)
    diff = Diffusion(device)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-4, weight_decay=0.0)

    step = 0
    for epoch in range(100):
        for x, _ in loader:
            x = x.to(device)
            t = torch.randint(0, T_STEPS, (x.size(0),), device=device)
            noise = torch.randn_like(x)
            loss = F.mse_loss(model(diff.q_sample(x, t, noise), t), noise)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            ema_update(ema, model)
            step += 1
        print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        if epoch % 5 == 4:
            imgs = sample(ema, diff, 16, device)
            save_image(imgs * 0.5 + 0.5, f"ddpm_samples/epoch_{epoch:03d}.png", nrow=4)
            torch.save({"model": model.state_dict(), "ema": ema.state_dict()}, "ddpm_ckpt.pt")


if __name__ == "__main__":
    main()
