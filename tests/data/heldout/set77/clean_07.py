"""DDPM on CIFAR-10 with a BatchNorm UNet; an EMA copy (kept in eval mode) is used for sampling and export."""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image

T_STEPS = 1000
BASE = 64
N_TRAIN = 50_000
BATCH = 128


def sinusoidal(t, dim):
    half = dim // 2
    f = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device) / half)
    a = t.float()[:, None] * f[None]
    return torch.cat([a.sin(), a.cos()], 1)


class Block(nn.Module):
    def __init__(self, in_c, out_c, t_dim):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, out_c, 3, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(out_c)
        self.temb = nn.Linear(t_dim, out_c)
        self.conv2 = nn.Conv2d(out_c, out_c, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(out_c)
        self.res = nn.Conv2d(in_c, out_c, 1) if in_c != out_c else nn.Identity()

    def forward(self, x, t):
        h = F.silu(self.norm1(self.conv1(x))) + self.temb(t)[:, :, None, None]
        return F.silu(self.norm2(self.conv2(h))) + self.res(x)


class UNet(nn.Module):
    def __init__(self, c=BASE, t_dim=256):
        super().__init__()
        self.t_dim = t_dim
        self.t_mlp = nn.Sequential(nn.Linear(t_dim, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim))
        self.stem = nn.Conv2d(3, c, 3, padding=1)
        self.e1, self.e2 = Block(c, c * 2, t_dim), Block(c * 2, c * 4, t_dim)
        self.mid = Block(c * 4, c * 4, t_dim)
        self.d2, self.d1 = Block(c * 8, c * 2, t_dim), Block(c * 4, c, t_dim)
        self.head = nn.Sequential(nn.Conv2d(c * 2, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.SiLU(), nn.Conv2d(c, 3, 1))

    def forward(self, x, t):
        te = self.t_mlp(sinusoidal(t, self.t_dim))
        h0 = self.stem(x)
        h1 = self.e1(F.avg_pool2d(h0, 2), te)
        h2 = self.e2(F.avg_pool2d(h1, 2), te)
        m = self.mid(h2, te)
        u2 = F.interpolate(self.d2(torch.cat([m, h2], 1), te), scale_factor=2)
        u1 = F.interpolate(self.d1(torch.cat([u2, h1], 1), te), scale_factor=2)
        return self.head(torch.cat([u1, h0], 1))


class TracedDenoiser(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, t):
        return self.net(x, t)


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tf = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    train = datasets.CIFAR10("./data", train=True, download=True, transform=tf)
    assert len(train) == N_TRAIN
    loader = DataLoader(train, batch_size=BATCH, shuffle=True, num_workers=8)

    betas = torch.linspace(1e-4, 0.02, T_STEPS, device=device)
    alphas = 1 - betas
    abar = torch.cumprod(alphas, 0)

    model = UNet().to(device)
    ema = copy.deepcopy(model).eval()
    ema.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=2e-4)

    @torch.no_grad()
    def sample(net, n):
        x = torch.randn(n, 3, 32, 32, device=device)
        for i in reversed(range(T_STEPS)):
            eps = net(x, torch.full((n,), i, device=device, dtype=torch.long))
            x = (x - betas[i] / (1 - abar[i]).sqrt() * eps) / alphas[i].sqrt()
            if i > 0:
                x = x + betas[i].sqrt() * torch.randn_like(x)
        return x.clamp(-1, 1)

    for epoch in range(200):
        for x, _ in loader:
            x = x.to(device)
            t = torch.randint(0, T_STEPS, (x.size(0),), device=device)
            noise = torch.randn_like(x)
            a = abar[t][:, None, None, None]
            loss = F.mse_loss(model(a.sqrt() * x + (1 - a).sqrt() * noise, t), noise)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.lerp_(pm, 1 - 0.9999)
                for be, bm in zip(ema.buffers(), model.buffers()):
                    be.copy_(bm)
        print(f"epoch {epoch}: loss {loss.item():.4f}")
        if epoch % 10 == 9:
            save_image(sample(ema, 64) * 0.5 + 0.5, f"ddpm_ema_{epoch:03d}.png", nrow=8)

    ema.eval()
    traced = torch.jit.trace(TracedDenoiser(ema).eval(), (torch.randn(2, 3, 32, 32, device=device), torch.zeros(2, dtype=torch.long, device=device)))
    traced.save("ddpm_ema_denoiser.pt")


if __name__ == "__main__":
    main()
