# Modelled on: https://github.com/eriklindernoren/PyTorch-GAN/issues/116 ("Infogan batchnorm2d layers have
# eps=0.8?": BatchNorm2d(128, 0.8) passes 0.8 as eps; Keras-GAN's 0.8 was the momentum).
# Bug: BN206 (eps set by position). Found from the source only: nothing at run time says eps is wrong.
import torch
from torch import nn

from _common import Clock, parse

latent_dim, img_size, channels = 32, 16, 1


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.init_size = img_size // 4
        self.l1 = nn.Sequential(nn.Linear(latent_dim, 64 * self.init_size ** 2))
        self.conv_blocks = nn.Sequential(
            nn.BatchNorm2d(64),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(64, 64, 3, stride=1, padding=1),
            nn.BatchNorm2d(64, 0.8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(64, 32, 3, stride=1, padding=1),
            nn.BatchNorm2d(32, 0.8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(32, channels, 3, stride=1, padding=1),
            nn.Tanh(),
        )

    def forward(self, z):
        out = self.l1(z).view(z.shape[0], 64, self.init_size, self.init_size)
        return self.conv_blocks(out)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()

        def discriminator_block(in_filters, out_filters, bn=True):
            block = [nn.Conv2d(in_filters, out_filters, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25)]
            if bn:
                block.append(nn.BatchNorm2d(out_filters, 0.8))
            return block

        self.model = nn.Sequential(*discriminator_block(channels, 16, bn=False), *discriminator_block(16, 32))
        self.adv_layer = nn.Sequential(nn.Linear(32 * (img_size // 4) ** 2, 1), nn.Sigmoid())

    def forward(self, img):
        return self.adv_layer(self.model(img).view(img.shape[0], -1))


opt = parse()
generator, discriminator = Generator(), Discriminator()
adversarial_loss = nn.BCELoss()
optimizer_G = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
with Clock():
    for i in range(opt.steps):
        imgs = torch.randn(16, channels, img_size, img_size)
        valid, fake = torch.ones(16, 1), torch.zeros(16, 1)
        optimizer_G.zero_grad()
        gen_imgs = generator(torch.randn(16, latent_dim))
        g_loss = adversarial_loss(discriminator(gen_imgs), valid)
        g_loss.backward()
        optimizer_G.step()
        optimizer_D.zero_grad()
        real_loss = adversarial_loss(discriminator(imgs), valid)
        fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()
