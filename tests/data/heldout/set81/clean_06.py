import torch
import torch.nn as nn
import torchvision.utils as vutils

NZ = 100
NGF = 64
NDF = 64
NC = 3


def up(cin, cout, stride=2, pad=1):
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(True),
    )


def down(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 4, 2, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(0.2, inplace=True),
    )


class Generator(nn.Module):
    def __init__(self, nz=NZ, ngf=NGF):
        super().__init__()
        self.main = nn.Sequential(
            up(nz, ngf * 8, stride=1, pad=0),
            up(ngf * 8, ngf * 4),
            up(ngf * 4, ngf * 2),
            up(ngf * 2, ngf),
            nn.ConvTranspose2d(ngf, NC, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z.view(z.size(0), -1, 1, 1))


class Discriminator(nn.Module):
    def __init__(self, ndf=NDF):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(NC, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            down(ndf, ndf * 2),
            down(ndf * 2, ndf * 4),
            down(ndf * 4, ndf * 8),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x):
        return self.main(x).view(-1)


def sample_grid(gen, n=16, path="samples.png"):
    gen.eval()
    with torch.no_grad():
        imgs = gen(torch.randn(n, NZ))
    gen.train()
    vutils.save_image(imgs, path, normalize=True, nrow=4)


def main():
    G, D = Generator(), Discriminator()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    batch = 128
    for it in range(1000):
        real = torch.rand(batch, NC, 64, 64) * 2 - 1
        z = torch.randn(batch, NZ)
        fake = G(z)
        d_loss = bce(D(real), torch.ones(batch)) + bce(D(fake.detach()), torch.zeros(batch))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = bce(D(fake), torch.ones(batch))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        if it % 200 == 0:
            sample_grid(G)


if __name__ == "__main__":
    main()
