"""CycleGAN (summer <-> winter) with BatchNorm generators trained at batch size 8, plus a held-out test pass."""
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

BATCH_SIZE = 8
BN_MOMENTUM = 0.01


class Unpaired(Dataset):
    def __init__(self, root, split, size=128):
        self.a = sorted(glob.glob(os.path.join(root, f"{split}A", "*.jpg")))
        self.b = sorted(glob.glob(os.path.join(root, f"{split}B", "*.jpg")))
        aug = [T.RandomHorizontalFlip()] if split == "train" else []
        self.tf = T.Compose([T.Resize((size, size)), *aug, T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)])

    def __len__(self):
        return min(len(self.a), len(self.b))

    def __getitem__(self, i):
        img_a = Image.open(self.a[i]).convert("RGB")
        img_b = Image.open(self.b[random.randrange(len(self.b))]).convert("RGB")
        return self.tf(img_a), self.tf(img_b)


def conv_norm_act(in_c, out_c, k, s, p, act=True):
    layers = [nn.Conv2d(in_c, out_c, k, s, p, bias=False), nn.BatchNorm2d(out_c, momentum=BN_MOMENTUM, eps=1e-5)]
    if act:
        layers.append(nn.ReLU(True))
    return nn.Sequential(*layers)


class ResBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.body = nn.Sequential(conv_norm_act(ch, ch, 3, 1, 1), conv_norm_act(ch, ch, 3, 1, 1, act=False))

    def forward(self, x):
        return x + self.body(x)


class Generator(nn.Module):
    def __init__(self, ngf=64, n_res=6):
        super().__init__()
        self.net = nn.Sequential(
            conv_norm_act(3, ngf, 7, 1, 3),
            conv_norm_act(ngf, ngf * 2, 3, 2, 1),
            conv_norm_act(ngf * 2, ngf * 4, 3, 2, 1),
            *[ResBlock(ngf * 4) for _ in range(n_res)],
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 3, 2, 1, output_padding=1, bias=False),
            nn.BatchNorm2d(ngf * 2, momentum=BN_MOMENTUM), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 3, 2, 1, output_padding=1, bias=False),
            nn.BatchNorm2d(ngf, momentum=BN_MOMENTUM), nn.ReLU(True),
            nn.Conv2d(ngf, 3, 7, 1, 3), nn.Tanh(),
        )

    def forward(self, x):
        return self.net(x)


class Discriminator(nn.Module):
    def __init__(self, ndf=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2, momentum=BN_MOMENTUM), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4, momentum=BN_MOMENTUM), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 4, 1, 4, 1, 1),
        )

    def forward(self, x):
        return self.net(x)


def translate_test_set(G_AB, G_BA, loader, out_dir, device):
    G_AB.eval()
    G_BA.eval()
    os.makedirs(out_dir, exist_ok=True)
    with torch.no_grad():
        for i, (a, b) in enumerate(loader):
            a, b = a.to(device), b.to(device)
            save_image(torch.cat([a, G_AB(a), b, G_BA(b)]) * 0.5 + 0.5, f"{out_dir}/{i:04d}.png", nrow=a.size(0))


def main():
    root = "./datasets/summer2winter"
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    loader = DataLoader(Unpaired(root, "train"), batch_size=BATCH_SIZE, shuffle=True, num_workers=4, drop_last=True)
    test_loader = DataLoader(Unpaired(root, "test"), batch_size=4)

    G_AB, G_BA, D_A, D_B = (m.to(device) for m in (Generator(), Generator(), Discriminator(), Discriminator()))
    opt_G = torch.optim.Adam(itertools.chain(G_AB.parameters(), G_BA.parameters()), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(itertools.chain(D_A.parameters(), D_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
    mse, l1 = nn.MSELoss(), nn.L1Loss()
    fixed_a, fixed_b = next(iter(test_loader))
    fixed_a, fixed_b = fixed_a.to(device), fixed_b.to(device)

    for epoch in range(150):
        for a, b in loader:
            a, b = a.to(device), b.to(device)
            fake_b, fake_a = G_AB(a), G_BA(b)
            pb, pa = D_B(fake_b), D_A(fake_a)
            loss_G = (mse(pb, torch.ones_like(pb)) + mse(pa, torch.ones_like(pa))
                      + 10.0 * (l1(G_BA(fake_b), a) + l1(G_AB(fake_a), b)))
            opt_G.zero_grad()
            loss_G.backward()
            opt_G.step()

            loss_D = 0.0
            for D, real, fake in ((D_A, a, fake_a), (D_B, b, fake_b)):
                pr, pf = D(real), D(fake.detach())
                loss_D = loss_D + 0.5 * (mse(pr, torch.ones_like(pr)) + mse(pf, torch.zeros_like(pf)))
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()

        G_AB.eval()
        G_BA.eval()
        with torch.no_grad():
            grid = torch.cat([fixed_a, G_AB(fixed_a), fixed_b, G_BA(fixed_b)])
        G_AB.train()
        G_BA.train()
        save_image(grid * 0.5 + 0.5, f"cyclegan_epoch_{epoch:03d}.png", nrow=fixed_a.size(0))
        print(f"epoch {epoch}: G {loss_G.item():.3f} D {loss_D.item():.3f}")

    translate_test_set(G_AB, G_BA, test_loader, "cyclegan_test", device)
    torch.save({"G_AB": G_AB.state_dict(), "G_BA": G_BA.state_dict()}, "cyclegan_final.pt")


if __name__ == "__main__":
    main()
