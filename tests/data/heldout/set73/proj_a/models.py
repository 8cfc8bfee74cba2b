"""Generator and discriminator for the 64x64 texture GAN."""
import torch
import torch.nn as nn

NZ = 128


def up_block(cin, cout):
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def down_block(cin, cout, norm=True):
    layers = [nn.Conv2d(cin, cout, 4, 2, 1, bias=False)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


class Generator(nn.Module):
    def __init__(self, nz=NZ, width=64):
        super().__init__()
        self.project = nn.Sequential(
            nn.ConvTranspose2d(nz, width * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(width * 8),
            nn.ReLU(inplace=True),
        )
        self.body = nn.Sequential(
            up_block(width * 8, width * 4),
            up_block(width * 4, width * 2),
            up_block(width * 2, width),
        )
        self.to_rgb = nn.Sequential(nn.ConvTranspose2d(width, 3, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        if z.dim() == 2:
            z = z[:, :, None, None]
        return self.to_rgb(self.body(self.project(z)))


class Discriminator(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.body = nn.Sequential(
            down_block(3, width, norm=False),
            down_block(width, width * 2),
            down_block(width * 2, width * 4),
            down_block(width * 4, width * 8),
        )
        self.score = nn.Conv2d(width * 8, 1, 4, 1, 0)

    def forward(self, x):
        return self.score(self.body(x)).flatten()


def init_weights(module):
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_models(device, nz=NZ):
    models = {"gen": Generator(nz), "disc": Discriminator()}
    for net in models.values():
        net.apply(init_weights)
        net.to(device)
    return models


def count_parameters(models):
    return {name: sum(p.numel() for p in net.parameters()) for name, net in models.items()}
