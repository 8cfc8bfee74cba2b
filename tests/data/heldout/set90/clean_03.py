"""CycleGAN (horse2zebra). ResNet-9 generators, 70x70 PatchGAN discriminators,
InstanceNorm throughout, batch size 1 as in the paper.
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


def get_norm_layer(norm_type="instance"):
    if norm_type == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    if norm_type == "instance":
        return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    raise NotImplementedError(norm_type)


class ResnetBlock(nn.Module):
    def __init__(self, dim, norm_layer, use_bias):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), norm_layer(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), norm_layer(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, input_nc=3, output_nc=3, ngf=64, norm_layer=nn.InstanceNorm2d, n_blocks=9):
        super().__init__()
        if type(norm_layer) == functools.partial:
            use_bias = norm_layer.func == nn.InstanceNorm2d
        else:
            use_bias = norm_layer == nn.InstanceNorm2d
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7, bias=use_bias), norm_layer(ngf), nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=use_bias),
                      norm_layer(ngf * mult * 2), nn.ReLU(True)]
        mult = 4
        model += [ResnetBlock(ngf * mult, norm_layer, use_bias) for _ in range(n_blocks)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1,
                                         output_padding=1, bias=use_bias),
                      norm_layer(ngf * mult // 2), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    def __init__(self, input_nc=3, ndf=64, n_layers=3, norm_layer=nn.InstanceNorm2d):
        super().__init__()
        use_bias = True
        seq = [nn.Conv2d(input_nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        nf_mult = 1
        for n in range(1, n_layers + 1):
            nf_prev, nf_mult = nf_mult, min(2 ** n, 8)
            stride = 2 if n < n_layers else 1
            seq += [nn.Conv2d(ndf * nf_prev, ndf * nf_mult, 4, stride, 1, bias=use_bias),
                    norm_layer(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * nf_mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


class ImagePool:
    """History of generated images (Shrivastava et al.) to stabilise D."""

    def __init__(self, size=50):
        self.size, self.images = size, []

    def query(self, images):
        out = []
        for img in images:
            img = img.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif random.random() > 0.5:
                idx = random.randint(0, self.size - 1)
                out.append(self.images[idx].clone())
                self.images[idx] = img
            else:
                out.append(img)
        return torch.cat(out, 0)


class UnalignedDataset(Dataset):
    def __init__(self, root, phase="train"):
        self.A = sorted(glob.glob(os.path.join(root, phase + "A", "*")))
        self.B = sorted(glob.glob(os.path.join(root, phase + "B", "*")))
        self.tf = transforms.Compose([transforms.Resize(286, Image.BICUBIC), transforms.RandomCrop(256),
                                      transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                      transforms.Normalize((0.5,) * 3, (0.5,) * 3)])

    def __len__(self):
        return max(len(self.A), len(self.B))

    def __getitem__(self, i):
        a = Image.open(self.A[i % len(self.A)]).convert("RGB")
        b = Image.open(random.choice(self.B)).convert("RGB")
        return self.tf(a), self.tf(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataroot", default="datasets/horse2zebra")
    ap.add_argument("--norm", default="instance")
    ap.add_argument("--batch_size", type=int, default=1)
    ap.add_argument("--n_epochs", type=int, default=100)
    ap.add_argument("--n_epochs_decay", type=int, default=100)
    ap.add_argument("--lambda_cyc", type=float, default=10.0)
    ap.add_argument("--lambda_id", type=float, default=0.5)
    opt = ap.parse_args()
    dev = torch.device("cuda")
    norm_layer = get_norm_layer(opt.norm)

    G_AB = ResnetGenerator(norm_layer=norm_layer).to(dev)
    G_BA = ResnetGenerator(norm_layer=norm_layer).to(dev)
    D_A = NLayerDiscriminator(norm_layer=norm_layer).to(dev)
    D_B = NLayerDiscriminator(norm_layer=norm_layer).to(dev)
    loader = DataLoader(UnalignedDataset(opt.dataroot), batch_size=opt.batch_size, shuffle=True, num_workers=4)

    mse, l1 = nn.MSELoss(), nn.L1Loss()
    opt_G = torch.optim.Adam(itertools.chain(G_AB.parameters(), G_BA.parameters()), 2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(itertools.chain(D_A.parameters(), D_B.parameters()), 2e-4, betas=(0.5, 0.999))
    decay = lambda e: 1.0 - max(0, e - opt.n_epochs) / float(opt.n_epochs_decay + 1)
    sched = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (opt_G, opt_D)]
    pool_A, pool_B = ImagePool(), ImagePool()

    for epoch in range(opt.n_epochs + opt.n_epochs_decay):
        for i, (real_A, real_B) in enumerate(loader):
            real_A, real_B = real_A.to(dev), real_B.to(dev)
            fake_B, fake_A = G_AB(real_A), G_BA(real_B)
            for p in itertools.chain(D_A.parameters(), D_B.parameters()):
                p.requires_grad_(False)
            pred_B, pred_A = D_B(fake_B), D_A(fake_A)
            loss_G = (mse(pred_B, torch.ones_like(pred_B)) + mse(pred_A, torch.ones_like(pred_A))
                      + opt.lambda_cyc * (l1(G_BA(fake_B), real_A) + l1(G_AB(fake_A), real_B))
                      + opt.lambda_cyc * opt.lambda_id * (l1(G_AB(real_B), real_B) + l1(G_BA(real_A), real_A)))
            opt_G.zero_grad()
            loss_G.backward()
            opt_G.step()

            for p in itertools.chain(D_A.parameters(), D_B.parameters()):
                p.requires_grad_(True)
            fB, fA = pool_B.query(fake_B.detach()), pool_A.query(fake_A.detach())
            loss_D = 0.5 * (mse(D_B(real_B), torch.ones_like(pred_B)) + mse(D_B(fB), torch.zeros_like(pred_B))) \
                + 0.5 * (mse(D_A(real_A), torch.ones_like(pred_A)) + mse(D_A(fA), torch.zeros_like(pred_A)))
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()
        for s in sched:
            s.step()
        os.makedirs("checkpoints/h2z", exist_ok=True)
        torch.save({"G_AB": G_AB.state_dict(), "G_BA": G_BA.state_dict()}, "checkpoints/h2z/latest.pth")

    # test-time translation of the validation split
    G_AB.eval()
    test_loader = DataLoader(UnalignedDataset(opt.dataroot, "test"), batch_size=1, shuffle=False)
    with torch.no_grad():
        for i, (a, _) in enumerate(test_loader):
            save_image(G_AB(a.to(dev)) * 0.5 + 0.5, f"checkpoints/h2z/test_{i:04d}.png")


if __name__ == "__main__":
    main()
