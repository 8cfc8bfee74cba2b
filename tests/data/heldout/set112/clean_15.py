"""CycleGAN (horse2zebra) with the `--norm batch` option of the reference code.

Two generators (G_AB, G_BA) and two discriminators (D_A, D_B). Generators are
switched to eval mode for the periodic sample dumps and for the final test
translation (batch size 1 there, so running statistics are required).
"""
import argparse
import functools
import glob
import itertools
import os
import random

import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset
import torchvision.transforms as transforms
from torchvision.utils import save_image


def get_norm_layer(norm_type="batch"):
    if norm_type == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    if norm_type == "instance":
        return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    raise NotImplementedError(norm_type)


class ResnetBlock(nn.Module):
    def __init__(self, dim, norm_layer, use_bias):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), norm_layer(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), norm_layer(dim),
        )

    def forward(self, x):
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, input_nc=3, output_nc=3, ngf=64, norm_layer=nn.BatchNorm2d, n_blocks=9):
        super().__init__()
        if isinstance(norm_layer, functools.partial):
            use_bias = norm_layer.func == nn.InstanceNorm2d
        else:
            use_bias = norm_layer == nn.InstanceNorm2d
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7, bias=use_bias), norm_layer(ngf), nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=use_bias), norm_layer(ngf * mult * 2), nn.ReLU(True)]
        mult = 4
        model += [ResnetBlock(ngf * mult, norm_layer, use_bias) for _ in range(n_blocks)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1, bias=use_bias),
                      norm_layer(ngf * mult // 2), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


class PatchDiscriminator(nn.Module):
    def __init__(self, input_nc=3, ndf=64, norm_layer=nn.BatchNorm2d):
        super().__init__()
        use_bias = norm_layer.func == nn.InstanceNorm2d if isinstance(norm_layer, functools.partial) else norm_layer == nn.InstanceNorm2d
        seq = [nn.Conv2d(input_nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=use_bias), norm_layer(ndf * 2), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=use_bias), norm_layer(ndf * 4), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * 4, ndf * 8, 4, 1, 1, bias=use_bias), norm_layer(ndf * 8), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * 8, 1, 4, 1, 1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


class ImagePool:
    def __init__(self, size=50):
        self.size, self.images = size, []

    def query(self, images):
        out = []
        for img in images.detach():
            img = img.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif random.random() > 0.5:
                i = random.randrange(self.size)
                out.append(self.images[i].clone())
                self.images[i] = img
            else:
                out.append(img)
        return torch.cat(out, 0)


class UnpairedDataset(Dataset):
    def __init__(self, root, phase, transform):
        self.A = sorted(glob.glob(os.path.join(root, f"{phase}A", "*.jpg")))
        self.B = sorted(glob.glob(os.path.join(root, f"{phase}B", "*.jpg")))
        self.transform = transform

    def __len__(self):
        return max(len(self.A), len(self.B))

    def __getitem__(self, i):
        a = Image.open(self.A[i % len(self.A)]).convert("RGB")
        b = Image.open(random.choice(self.B)).convert("RGB")
        return self.transform(a), self.transform(b)


def sample_images(G_AB, G_BA, real_A, real_B, path):
    G_AB.eval()
    G_BA.eval()
    with torch.no_grad():
        fake_B = G_AB(real_A)
        fake_A = G_BA(real_B)
    G_AB.train()
    G_BA.train()
    save_image(torch.cat([real_A, fake_B, real_B, fake_A]), path, nrow=real_A.size(0), normalize=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataroot", default="datasets/horse2zebra")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lambda-cyc", type=float, default=10.0)
    ap.add_argument("--lambda-id", type=float, default=5.0)
    ap.add_argument("--out", default="cyclegan_bn")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    norm_layer = get_norm_layer("batch")
    G_AB, G_BA = ResnetGenerator(norm_layer=norm_layer).to(device), ResnetGenerator(norm_layer=norm_layer).to(device)
    D_A, D_B = PatchDiscriminator(norm_layer=norm_layer).to(device), PatchDiscriminator(norm_layer=norm_layer).to(device)

    tf_train = transforms.Compose([transforms.Resize(286), transforms.RandomCrop(256), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])
    tf_test = transforms.Compose([transforms.Resize(256), transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])
    train_loader = DataLoader(UnpairedDataset(args.dataroot, "train", tf_train), batch_size=args.batch_size, shuffle=True, num_workers=8, drop_last=True)
    test_loader = DataLoader(UnpairedDataset(args.dataroot, "test", tf_test), batch_size=1, shuffle=False)

    mse, l1 = nn.MSELoss(), nn.L1Loss()
    opt_G = torch.optim.Adam(itertools.chain(G_AB.parameters(), G_BA.parameters()), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(itertools.chain(D_A.parameters(), D_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
    pool_A, pool_B = ImagePool(), ImagePool()
    fixed_A, fixed_B = next(iter(test_loader))

    for epoch in range(args.epochs):
        for m in (G_AB, G_BA, D_A, D_B):
            m.train()
        for i, (real_A, real_B) in enumerate(train_loader):
            real_A, real_B = real_A.to(device), real_B.to(device)

            # generators (D_A / D_B score the fakes; their params are not stepped here)
            fake_B = G_AB(real_A)
            fake_A = G_BA(real_B)
            pred_fB, pred_fA = D_B(fake_B), D_A(fake_A)
            loss_gan = mse(pred_fB, torch.ones_like(pred_fB)) + mse(pred_fA, torch.ones_like(pred_fA))
            loss_cyc = l1(G_BA(fake_B), real_A) + l1(G_AB(fake_A), real_B)
            loss_id = l1(G_AB(real_B), real_B) + l1(G_BA(real_A), real_A)
            loss_G = loss_gan + args.lambda_cyc * loss_cyc + args.lambda_id * loss_id
            opt_G.zero_grad()
            loss_G.backward()
            opt_G.step()

            # discriminators on real vs pooled fakes
            fB, fA = pool_B.query(fake_B), pool_A.query(fake_A)
            p_rB, p_fB = D_B(real_B), D_B(fB)
            p_rA, p_fA = D_A(real_A), D_A(fA)
            loss_D = 0.5 * (mse(p_rB, torch.ones_like(p_rB)) + mse(p_fB, torch.zeros_like(p_fB))
                            + mse(p_rA, torch.ones_like(p_rA)) + mse(p_fA, torch.zeros_like(p_fA)))
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()

            if i % 100 == 0:
                print(f"epoch {epoch} iter {i} G {loss_G.item():.3f} (cyc {loss_cyc.item():.3f}) D {loss_D.item():.3f}")

        sample_images(G_AB, G_BA, fixed_A.to(device), fixed_B.to(device), os.path.join(args.out, f"epoch_{epoch:03d}.png"))
        torch.save({"G_AB": G_AB.state_dict(), "G_BA": G_BA.state_dict()}, os.path.join(args.out, "generators.pt"))

    # translate the whole test split A -> B
    G_AB.eval()
    os.makedirs(os.path.join(args.out, "test_AtoB"), exist_ok=True)
    with torch.no_grad():
        for k, (real_A, _) in enumerate(test_loader):
            save_image(G_AB(real_A.to(device)), os.path.join(args.out, "test_AtoB", f"{k:04d}.png"), normalize=True)


if __name__ == "__main__":
    main()
