import torch.nn as nn


def disc_block(in_c, out_c):
    return [
        nn.Conv2d(in_c, out_c, kernel_size=4, stride=2, padding=1),  # expect: BN204
        nn.BatchNorm2d(out_c),
        nn.LeakyReLU(0.2, inplace=True),
    ]


class Discriminator(nn.Module):
    def __init__(self, ndf=64, nc=3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1),
            nn.LeakyReLU(0.2, inplace=True),
            *disc_block(ndf, ndf * 2),
            *disc_block(ndf * 2, ndf * 4),
            *disc_block(ndf * 4, ndf * 8),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0),
        )

    def forward(self, x):
        return self.net(x).view(-1)


def build_discriminator(cfg):
    return Discriminator(ndf=cfg["ndf"], nc=cfg["nc"])
