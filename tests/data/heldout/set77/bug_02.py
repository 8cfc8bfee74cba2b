"""CycleGAN (horse <-> zebra) with ResNet generators, PatchGAN discriminators and image pools."""
import argparse
import glob
import itertools
import os
import random

import torch
import torch.nn as nn
import torchvision.transforms as T
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.utils import save_image


class UnpairedImages(Dataset):
    def __init__(self, root, split="train", size=128):
        self.files_a = sorted(glob.glob(os.path.join(root, f"{split}A", "*.jpg")))
        self.files_b = sorted(glob.glob(os.path.join(root, f"{split}B", "*.jpg")))
        self.tf = T.Compose([
            T.Resize(int(size * 1.12)), T.RandomCrop(size), T.RandomHorizontalFlip(),
            T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3),
        ])

    def __len__(self):
        return max(len(self.files_a), len(self.files_b))

    def __getitem__(self, i):
        a = Image.open(self.files_a[i % len(self.files_a)]).convert("RGB")
        b = Image.open(random.choice(self.files_b)).convert("RGB")
        return self.tf(a), self.tf(b)


class ResidualBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3, bias=False), nn.BatchNorm2d(ch), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3, bias=False), nn.BatchNorm2d(ch),
        )

    def forward(self, x):
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, ngf=64, n_blocks=6):
        super().__init__()
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True)]
        ch = ngf
        for _ in range(2):
            layers += [nn.Conv2d(ch, ch * 2, 3, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.ReLU(True)]
            ch *= 2
        layers += [ResidualBlock(ch) for _ in range(n_blocks)]
        for _ in range(2):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 3, 2, 1, output_padding=1, bias=False),
                       nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ch, 3, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


def disc_block(in_f, out_f, normalize=True):
    layers = [nn.Conv2d(in_f, out_f, 4, stride=2, padding=1, bias=False)]
    if normalize:
        layers.append(nn.BatchNorm2d(out_f, 0.8))  # expect: BN206
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return layers


class PatchDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            *disc_block(3, 64, normalize=False),
            *disc_block(64, 128),
            *disc_block(128, 256),
            nn.ZeroPad2d((1, 0, 1, 0)),
            nn.Conv2d(256, 1, 4, padding=1),
        )

    def forward(self, x):
        return self.model(x)


class ImagePool:
    def __init__(self, size=50):
        self.size, self.data = size, []

    def query(self, img):
        if len(self.data) < self.size:
            self.data.append(img.detach())
            return img
        if random.random() > 0.5:
            idx = random.randrange(self.size)
            old, self.data[idx] = self.data[idx], img.detach()
            return old
        return img


def save_translations(G_AB, G_BA, batch, path, device):
    G_AB.eval()
    G_BA.eval()
    real_a, real_b = batch[0].to(device), batch[1].to(device)
    with torch.no_grad():
        fake_b = G_AB(real_a)
        fake_a = G_BA(real_b)
    save_image(torch.cat([real_a, fake_b, real_b, fake_a], 0), path, nrow=real_a.size(0), normalize=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default="./datasets/horse2zebra")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--lambda-cyc", type=float, default=10.0)
    p.add_argument("--lambda-id", type=float, default=5.0)
    p.add_argument("--sample-every", type=int, default=500)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs("images", exist_ok=True)

    loader = DataLoader(UnpairedImages(args.root), batch_size=1, shuffle=True, num_workers=4)  # expect: BN301
    val_loader = DataLoader(UnpairedImages(args.root, split="test"), batch_size=5, shuffle=True)

    G_AB, G_BA = ResnetGenerator().to(device), ResnetGenerator().to(device)
    D_A, D_B = PatchDiscriminator().to(device), PatchDiscriminator().to(device)
    opt_G = torch.optim.Adam(itertools.chain(G_AB.parameters(), G_BA.parameters()), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(itertools.chain(D_A.parameters(), D_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
    mse, l1 = nn.MSELoss(), nn.L1Loss()
    pool_a, pool_b = ImagePool(), ImagePool()

    step = 0
    for epoch in range(args.epochs):
        for real_a, real_b in loader:
            real_a, real_b = real_a.to(device), real_b.to(device)

            opt_G.zero_grad()
            fake_b = G_AB(real_a)
            fake_a = G_BA(real_b)
            pred_fb, pred_fa = D_B(fake_b), D_A(fake_a)
            loss_gan = mse(pred_fb, torch.ones_like(pred_fb)) + mse(pred_fa, torch.ones_like(pred_fa))
            loss_cyc = l1(G_BA(fake_b), real_a) + l1(G_AB(fake_a), real_b)
            loss_id = l1(G_BA(real_a), real_a) + l1(G_AB(real_b), real_b)
            loss_G = loss_gan + args.lambda_cyc * loss_cyc + args.lambda_id * loss_id
            loss_G.backward()
            opt_G.step()

            opt_D.zero_grad()
            loss_D = 0.0
            for D, real, fake in ((D_A, real_a, pool_a.query(fake_a)), (D_B, real_b, pool_b.query(fake_b))):
                pr, pf = D(real), D(fake.detach())
                loss_D = loss_D + 0.5 * (mse(pr, torch.ones_like(pr)) + mse(pf, torch.zeros_like(pf)))
            loss_D.backward()
            opt_D.step()

            if step % args.sample_every == 0:
                print(f"epoch {epoch} step {step} G {loss_G.item():.3f} D {loss_D.item():.3f}")
                save_translations(G_AB, G_BA, next(iter(val_loader)), f"images/{step:07d}.png", device)  # expect: BN103
            step += 1

        torch.save({"G_AB": G_AB.state_dict(), "G_BA": G_BA.state_dict()}, f"cyclegan_{epoch}.pt")


if __name__ == "__main__":
    main()
