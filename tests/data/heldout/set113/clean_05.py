#!/usr/bin/env python3
# DCGAN (64x64) — 層リストは reduce / lambda で組み立てる実験的な書き方
# 参考: Radford et al. 2015, PyTorch 公式 DCGAN チュートリアル
import argparse
import operator
import os
from functools import partial, reduce

import torch
import torch.nn as nn
import torchvision.utils as vutils
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

BN = partial(nn.BatchNorm2d, eps=1e-5, momentum=0.1)
潜在次元, 基本幅 = 100, 64

# 生成器: (N,100) -Linear-> (N, 512*4*4) -view-> (N,512,4,4) -> ConvT ... -> (N,3,64,64)
上げ = lambda ci, co: [nn.ConvTranspose2d(ci, co, 4, 2, 1, bias=False), BN(co), nn.ReLU(True)]
生成器幅 = [基本幅 * 8, 基本幅 * 4, 基本幅 * 2, 基本幅]
生成器本体 = lambda: nn.Sequential(*reduce(operator.iadd, map(上げ, 生成器幅[:-1], 生成器幅[1:]), []), nn.ConvTranspose2d(基本幅, 3, 4, 2, 1, bias=False), nn.Tanh())

# 識別器: 最初の層には BN を入れない (論文どおり), 以降は conv(bias=False) -> BN -> LeakyReLU
下げ = lambda ci, co: [nn.Conv2d(ci, co, 4, 2, 1, bias=False), BN(co), nn.LeakyReLU(0.2, inplace=True)]
識別器 = lambda: nn.Sequential(nn.Conv2d(3, 基本幅, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True), *reduce(lambda acc, p: acc + 下げ(*p), zip([基本幅, 基本幅 * 2, 基本幅 * 4], [基本幅 * 2, 基本幅 * 4, 基本幅 * 8]), []), nn.Conv2d(基本幅 * 8, 1, 4, 1, 0), nn.Flatten())


class 生成器(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.投影 = nn.Linear(潜在次元, 生成器幅[0] * 4 * 4, bias=False)
        self.bn0 = nn.BatchNorm2d(生成器幅[0])
        self.本体 = 生成器本体()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.投影(z).view(-1, 生成器幅[0], 4, 4)   # Linear の出力を 4 次元に戻してから BatchNorm2d
        return self.本体(torch.relu(self.bn0(x)))


def 重み初期化(m: nn.Module) -> None:
    match m:
        case nn.Conv2d() | nn.ConvTranspose2d() | nn.Linear():
            nn.init.normal_(m.weight, 0.0, 0.02)
        case nn.BatchNorm2d():
            nn.init.normal_(m.weight, 1.0, 0.02); nn.init.zeros_(m.bias)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="./celeba")
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--out", default="./samples")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tf = transforms.Compose([transforms.Resize(64), transforms.CenterCrop(64), transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    loader = DataLoader(datasets.ImageFolder(a.root, tf), batch_size=a.batch_size, shuffle=True, num_workers=4, drop_last=True)

    G, D = 生成器().to(dev), 識別器().to(dev)
    G.apply(重み初期化); D.apply(重み初期化)
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    固定ノイズ = torch.randn(64, 潜在次元, device=dev)

    for ep in range(a.epochs):
        G.train(); D.train()
        for i, (real, _) in enumerate(loader):
            real = real.to(dev); n = real.size(0)
            fake = G(torch.randn(n, 潜在次元, device=dev))
            # --- D ---
            optD.zero_grad()
            lossD = bce(D(real).squeeze(1), torch.ones(n, device=dev)) + bce(D(fake.detach()).squeeze(1), torch.zeros(n, device=dev))
            lossD.backward(); optD.step()
            # --- G ---
            optG.zero_grad()
            lossG = bce(D(fake).squeeze(1), torch.ones(n, device=dev))
            lossG.backward(); optG.step()
            if i % 200 == 0:
                print(f"[{ep}/{a.epochs}][{i}/{len(loader)}] lossD={lossD.item():.3f} lossG={lossG.item():.3f}")

        # エポックごとのサンプル画像: 推論モードで生成し、学習モードに戻す
        G.eval()
        with torch.no_grad():
            サンプル = G(固定ノイズ).cpu()
        G.train()
        vutils.save_image(サンプル, f"{a.out}/epoch_{ep:03d}.png", normalize=True, nrow=8)

    torch.save({"G": G.state_dict(), "D": D.state_dict()}, "dcgan.pt")


if __name__ == "__main__":
    main()
