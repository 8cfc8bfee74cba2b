#!/usr/bin/env python
"""pix2pix (Isola et al. 2017) -- facades, U-Net-256 generator + 70x70 PatchGAN.

Single-file re-implementation of the junyanz recipe, BatchNorm variant.
usage: python train_pix2pix.py --dataroot ./datasets/facades --name facades_pix2pix
"""
import argparse
import glob
import os

import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset
import torchvision.transforms as T


def get_opts():
    p = argparse.ArgumentParser()
    p.add_argument("--dataroot", required=True)
    p.add_argument("--name", default="facades_pix2pix")
    p.add_argument("--checkpoints_dir", default="./checkpoints")
    p.add_argument("--batch_size", type=int, default=1, help="input batch size")
    p.add_argument("--num_threads", type=int, default=4)
    p.add_argument("--ngf", type=int, default=64)
    p.add_argument("--ndf", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.0002)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--lambda_L1", type=float, default=100.0)
    p.add_argument("--n_epochs", type=int, default=200)
    p.add_argument("--direction", default="BtoA")
    return p.parse_args()


class AlignedDataset(Dataset):
    """A|B images concatenated side by side, as in the original datasets."""

    def __init__(self, root, phase="train", direction="AtoB", load_size=286, crop_size=256):
        self.paths = sorted(glob.glob(os.path.join(root, phase, "*.jpg")))
        self.direction = direction
        self.tf = T.Compose([T.Resize((load_size, load_size), T.InterpolationMode.BICUBIC),
                             T.RandomCrop(crop_size), T.ToTensor(),
                             T.Normalize((0.5,) * 3, (0.5,) * 3)])

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, idx):
        ab = Image.open(self.paths[idx]).convert("RGB")
        w, h = ab.size
        a, b = ab.crop((0, 0, w // 2, h)), ab.crop((w // 2, 0, w, h))
        seed = torch.seed()
        torch.manual_seed(seed)
        a = self.tf(a)
        torch.manual_seed(seed)
        b = self.tf(b)
        return (a, b) if self.direction == "AtoB" else (b, a)


def down(in_c, out_c, norm=True):
    layers = [nn.Conv2d(in_c, out_c, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(out_c))
    layers.append(nn.LeakyReLU(0.2, True))
    return nn.Sequential(*layers)


def up(in_c, out_c, dropout=False):
    layers = [nn.ConvTranspose2d(in_c, out_c, 4, 2, 1, bias=False),
              nn.BatchNorm2d(out_c),
              nn.ReLU(True)]
    if dropout:
        layers.append(nn.Dropout(0.5))
    return nn.Sequential(*layers)


class UNetGenerator(nn.Module):
    def __init__(self, in_ch=3, out_ch=3, ngf=64):
        super().__init__()
        self.d1 = down(in_ch, ngf, norm=False)          # 128
        self.d2 = down(ngf, ngf * 2)                    # 64
        self.d3 = down(ngf * 2, ngf * 4)                # 32
        self.d4 = down(ngf * 4, ngf * 8)                # 16
        self.d5 = down(ngf * 8, ngf * 8)                # 8
        self.d6 = down(ngf * 8, ngf * 8)                # 4
        self.d7 = down(ngf * 8, ngf * 8)                # 2
        self.bottleneck = nn.Sequential(nn.Conv2d(ngf * 8, ngf * 8, 4, 2, 1), nn.ReLU(True))
        self.u1 = up(ngf * 8, ngf * 8, dropout=True)
        self.u2 = up(ngf * 16, ngf * 8, dropout=True)
        self.u3 = up(ngf * 16, ngf * 8, dropout=True)
        self.u4 = up(ngf * 16, ngf * 8)
        self.u5 = up(ngf * 16, ngf * 4)
        self.u6 = up(ngf * 8, ngf * 2)
        self.u7 = nn.Sequential(
            nn.ConvTranspose2d(ngf * 4, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),  # expect: BN201
            nn.ReLU(True),
        )
        self.final = nn.Sequential(nn.ConvTranspose2d(ngf * 2, out_ch, 4, 2, 1), nn.Tanh())

    def forward(self, x):
        e1 = self.d1(x)
        e2 = self.d2(e1)
        e3 = self.d3(e2)
        e4 = self.d4(e3)
        e5 = self.d5(e4)
        e6 = self.d6(e5)
        e7 = self.d7(e6)
        b = self.bottleneck(e7)
        y = torch.cat([self.u1(b), e7], 1)
        y = torch.cat([self.u2(y), e6], 1)
        y = torch.cat([self.u3(y), e5], 1)
        y = torch.cat([self.u4(y), e4], 1)
        y = torch.cat([self.u5(y), e3], 1)
        y = torch.cat([self.u6(y), e2], 1)
        y = torch.cat([self.u7(y), e1], 1)
        return self.final(y)


class PatchDiscriminator(nn.Module):
    def __init__(self, in_ch=6, ndf=64, n_layers=3):
        super().__init__()
        seq = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            mult_prev, mult = mult, min(2 ** n, 8)
            seq += [nn.Conv2d(ndf * mult_prev, ndf * mult, 4, 2, 1, bias=False),
                    nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2, True)]
        mult_prev, mult = mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * mult_prev, ndf * mult, 4, 1, 1, bias=False),
                nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


def init_weights(net, gain=0.02):
    def fn(m):
        name = m.__class__.__name__
        if hasattr(m, "weight") and ("Conv" in name or "Linear" in name):
            nn.init.normal_(m.weight.data, 0.0, gain)
            if m.bias is not None:
                nn.init.constant_(m.bias.data, 0.0)
        elif "BatchNorm2d" in name:
            nn.init.normal_(m.weight.data, 1.0, gain)
            nn.init.constant_(m.bias.data, 0.0)
    net.apply(fn)


def main():
    opt = get_opts()
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    save_dir = os.path.join(opt.checkpoints_dir, opt.name)
    os.makedirs(save_dir, exist_ok=True)

    train_set = AlignedDataset(opt.dataroot, "train", opt.direction)
    loader = DataLoader(train_set, batch_size=opt.batch_size, shuffle=True, num_workers=opt.num_threads)  # expect: BN301

    netG = UNetGenerator(3, 3, opt.ngf).to(device)
    netD = PatchDiscriminator(6, opt.ndf).to(device)
    init_weights(netG)
    init_weights(netD)

    gan_loss = nn.BCEWithLogitsLoss()
    l1 = nn.L1Loss()
    optG = torch.optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
    optD = torch.optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

    for epoch in range(1, opt.n_epochs + 1):
        for i, (real_A, real_B) in enumerate(loader):
            real_A, real_B = real_A.to(device), real_B.to(device)
            fake_B = netG(real_A)

            # D
            optD.zero_grad()
            pred_fake = netD(torch.cat((real_A, fake_B.detach()), 1))
            pred_real = netD(torch.cat((real_A, real_B), 1))
            loss_D = 0.5 * (gan_loss(pred_fake, torch.zeros_like(pred_fake))
                            + gan_loss(pred_real, torch.ones_like(pred_real)))
            loss_D.backward()
            optD.step()

            # G
            optG.zero_grad()
            pred_fake = netD(torch.cat((real_A, fake_B), 1))
            loss_G = gan_loss(pred_fake, torch.ones_like(pred_fake)) + opt.lambda_L1 * l1(fake_B, real_B)
            loss_G.backward()
            optG.step()

            if i % 100 == 0:
                print(f"epoch {epoch} it {i}: D {loss_D.item():.3f} G {loss_G.item():.3f}")
        if epoch % 5 == 0:
            torch.save(netG.state_dict(), os.path.join(save_dir, f"{epoch}_net_G.pth"))
            torch.save(netD.state_dict(), os.path.join(save_dir, f"{epoch}_net_D.pth"))

    dummy = torch.randn(1, 3, 256, 256, device=device)
    torch.onnx.export(netG, dummy, os.path.join(save_dir, "pix2pix_G.onnx"), opset_version=13,  # expect: BN104
                      input_names=["A"], output_names=["fake_B"])


if __name__ == "__main__":
    main()
