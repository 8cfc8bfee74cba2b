# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.14.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Generative models HW - Part 2: DCGAN on CelebA (64x64)
# Adapted from the official PyTorch DCGAN tutorial. Changes for the homework:
# the progress grid is drawn with the generator in eval mode (then switched
# back), and the final samples too.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torchvision.datasets as dset
import torchvision.transforms as transforms
import torchvision.utils as vutils

# %%
dataroot = "data/celeba"
workers = 2
batch_size = 128
image_size = 64
nc, nz, ngf, ndf = 3, 100, 64, 64
num_epochs = 5
lr, beta1 = 2e-4, 0.5
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

dataset = dset.ImageFolder(root=dataroot, transform=transforms.Compose([
    transforms.Resize(image_size), transforms.CenterCrop(image_size), transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
]))
dataloader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers)

# %%
def weights_init(m):
    if "Conv" in m.__class__.__name__:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif "BatchNorm" in m.__class__.__name__:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def up(c_in, c_out):
    return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]


def down(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, inplace=True)]


netG = nn.Sequential(
    nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
    *up(ngf * 8, ngf * 4), *up(ngf * 4, ngf * 2), *up(ngf * 2, ngf),
    nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh(),
).to(device)
netD = nn.Sequential(
    nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
    *down(ndf, ndf * 2), *down(ndf * 2, ndf * 4), *down(ndf * 4, ndf * 8),
    nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
).to(device)
netG.apply(weights_init)
netD.apply(weights_init)

# %%
criterion = nn.BCELoss()
fixed_noise = torch.randn(64, nz, 1, 1, device=device)
optimizerD = torch.optim.Adam(netD.parameters(), lr=lr, betas=(beta1, 0.999))
optimizerG = torch.optim.Adam(netG.parameters(), lr=lr, betas=(beta1, 0.999))
img_list, G_losses, D_losses = [], [], []
iters = 0

# %%
netG.train()
netD.train()
for epoch in range(num_epochs):
    for i, (real, _) in enumerate(dataloader):
        real = real.to(device)
        b = real.size(0)
        # (1) D: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        errD_real = criterion(netD(real).view(-1), torch.full((b,), 1.0, device=device))
        errD_real.backward()
        fake = netG(torch.randn(b, nz, 1, 1, device=device))
        errD_fake = criterion(netD(fake.detach()).view(-1), torch.full((b,), 0.0, device=device))
        errD_fake.backward()
        optimizerD.step()
        # (2) G: maximize log(D(G(z)))
        netG.zero_grad()
        errG = criterion(netD(fake).view(-1), torch.full((b,), 1.0, device=device))
        errG.backward()
        optimizerG.step()

        G_losses.append(errG.item())
        D_losses.append((errD_real + errD_fake).item())
        if iters % 500 == 0 or (epoch == num_epochs - 1 and i == len(dataloader) - 1):
            netG.eval()
            with torch.no_grad():
                grid_fake = netG(fixed_noise).detach().cpu()
            netG.train()
            img_list.append(vutils.make_grid(grid_fake, padding=2, normalize=True))
        iters += 1
    print(f"[{epoch}/{num_epochs}] Loss_D {D_losses[-1]:.4f} Loss_G {G_losses[-1]:.4f}")

# %%
plt.figure(figsize=(10, 5))
plt.plot(G_losses, label="G")
plt.plot(D_losses, label="D")
plt.xlabel("iterations")
plt.legend()
plt.show()

# %%
netG.eval()
with torch.no_grad():
    samples = netG(torch.randn(64, nz, 1, 1, device=device)).cpu()
plt.figure(figsize=(8, 8))
plt.axis("off")
plt.imshow(vutils.make_grid(samples, padding=2, normalize=True).permute(1, 2, 0))
plt.show()
torch.save({"G": netG.state_dict(), "D": netD.state_dict()}, "dcgan_celeba.pt")
