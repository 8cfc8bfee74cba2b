import torch.nn as nn


def up_block(in_c, out_c):
    return [
        nn.ConvTranspose2d(in_c, out_c, kernel_size=4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(out_c),
        nn.ReLU(inplace=True),
    ]


class Generator(nn.Module):
    def __init__(self, nz=128, ngf=64, nc=3):
        super().__init__()
        self.nz = nz
        layers = [
            nn.ConvTranspose2d(nz, ngf * 8, kernel_size=4, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(inplace=True),
        ]
        layers += up_block(ngf * 8, ngf * 4)
        layers += up_block(ngf * 4, ngf * 2)
        layers += up_block(ngf * 2, ngf)
        layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        if z.dim() == 2:
            z = z[:, :, None, None]
        return self.net(z)


def build_generator(cfg):
    return Generator(nz=cfg["nz"], ngf=cfg["ngf"], nc=cfg["nc"])
