# Vanilla GAN on MNIST with an MLP generator (BatchNorm) and an MLP discriminator.
import os

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.utils import save_image

os.makedirs("images", exist_ok=True)

N_EPOCHS = 50
BATCH_SIZE = 64
LR = 0.0002
B1, B2 = 0.5, 0.999
LATENT_DIM = 100
IMG_SIZE = 28
CHANNELS = 1
IMG_SHAPE = (CHANNELS, IMG_SIZE, IMG_SIZE)
SAMPLE_INTERVAL = 400

cuda = torch.cuda.is_available()
device = torch.device("cuda" if cuda else "cpu")


def block(in_feat, out_feat):
    return [
        nn.Linear(in_feat, out_feat, bias=False),
        nn.BatchNorm1d(out_feat, momentum=0.2),
        nn.LeakyReLU(0.2, inplace=True),
    ]


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(LATENT_DIM, 128),
            nn.LeakyReLU(0.2, inplace=True),
            *block(128, 256),
            *block(256, 512),
            *block(512, 1024),
            nn.Linear(1024, int(np.prod(IMG_SHAPE))),
            nn.Tanh(),
        )

    def forward(self, z):
        img = self.model(z)
        return img.view(img.size(0), *IMG_SHAPE)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(int(np.prod(IMG_SHAPE)), 512),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(256, 1),
            nn.Sigmoid(),
        )

    def forward(self, img):
        return self.model(img.view(img.size(0), -1))


adversarial_loss = nn.BCELoss()
generator = Generator().to(device)
discriminator = Discriminator().to(device)

dataloader = DataLoader(
    datasets.MNIST(
        "data/mnist",
        train=True,
        download=True,
        transform=transforms.Compose([transforms.Resize(IMG_SIZE), transforms.ToTensor(), transforms.Normalize([0.5], [0.5])]),
    ),
    batch_size=BATCH_SIZE,
    shuffle=True,
)

optimizer_G = torch.optim.Adam(generator.parameters(), lr=LR, betas=(B1, B2))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=LR, betas=(B1, B2))

for epoch in range(N_EPOCHS):
    for i, (imgs, _) in enumerate(dataloader):
        real_imgs = imgs.to(device)
        valid = torch.ones(imgs.size(0), 1, device=device)
        fake = torch.zeros(imgs.size(0), 1, device=device)

        # ---- train generator ----
        optimizer_G.zero_grad()
        z = torch.randn(imgs.size(0), LATENT_DIM, device=device)
        gen_imgs = generator(z)
        g_loss = adversarial_loss(discriminator(gen_imgs), valid)
        g_loss.backward()
        optimizer_G.step()

        # ---- train discriminator ----
        optimizer_D.zero_grad()
        real_loss = adversarial_loss(discriminator(real_imgs), valid)
        fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()

        batches_done = epoch * len(dataloader) + i
        if batches_done % SAMPLE_INTERVAL == 0:
            print(f"[Epoch {epoch}/{N_EPOCHS}] [Batch {i}/{len(dataloader)}] [D loss: {d_loss.item():.4f}] [G loss: {g_loss.item():.4f}]")
            generator.eval()
            with torch.no_grad():
                preview = generator(torch.randn(25, LATENT_DIM, device=device))
            generator.train()
            save_image(preview, f"images/{batches_done}.png", nrow=5, normalize=True)

torch.save(generator.state_dict(), "generator.pt")

# final sample grid for the blog post
fixed_z = torch.randn(64, LATENT_DIM, device=device)
generator.eval()
with torch.no_grad():
    samples = generator(fixed_z)
save_image(samples, "images/final_grid.png", nrow=8, normalize=True)
