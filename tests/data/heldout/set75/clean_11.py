#!/usr/bin/env python
# coding: utf-8

# # GAN homework: DCGAN on MNIST (28x28)

# In[1]:


import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T
import matplotlib.pyplot as plt

device = "cuda" if torch.cuda.is_available() else "cpu"
Z = 64
bs = 128

mnist = torchvision.datasets.MNIST("data", train=True, download=True,
                                   transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
loader = torch.utils.data.DataLoader(mnist, batch_size=bs, shuffle=True, drop_last=True)


# In[2]:


def make_G():
    return nn.Sequential(
        nn.ConvTranspose2d(Z, 256, 7, 1, 0, bias=False),   # 7x7
        nn.BatchNorm2d(256),
        nn.ReLU(True),
        nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False),  # 14x14
        nn.BatchNorm2d(128),
        nn.ReLU(True),
        nn.ConvTranspose2d(128, 1, 4, 2, 1),  # 28x28
        nn.Tanh(),
    )


def make_D():
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1),  # 14x14
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False),  # 7x7
        nn.BatchNorm2d(128),
        nn.LeakyReLU(0.2, True),
        nn.Flatten(),
        nn.Linear(128 * 7 * 7, 1),
    )


G = make_G().to(device)
D = make_D().to(device)
optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
fixed_z = torch.randn(16, Z, 1, 1, device=device)


# In[3]:


def show_samples(title):
    G.eval()
    with torch.no_grad():
        imgs = G(fixed_z).cpu()
    G.train()
    grid = torchvision.utils.make_grid(imgs, nrow=8, normalize=True)
    plt.figure(figsize=(8, 2))
    plt.imshow(grid.permute(1, 2, 0))
    plt.title(title)
    plt.axis("off")
    plt.show()


# In[4]:


lossesD, lossesG = [], []
G.train()
D.train()
for epoch in range(10):
    for i, (real, _) in enumerate(loader):
        real = real.to(device)
        n = real.size(0)
        ones = torch.ones(n, 1, device=device)
        zeros = torch.zeros(n, 1, device=device)

        # D step: fakes don't need gradients for G here
        with torch.no_grad():
            fake = G(torch.randn(n, Z, 1, 1, device=device))
        lossD = bce(D(real), ones) + bce(D(fake), zeros)
        optD.zero_grad()
        lossD.backward()
        optD.step()

        # G step
        fake = G(torch.randn(n, Z, 1, 1, device=device))
        lossG = bce(D(fake), ones)
        optG.zero_grad()
        lossG.backward()
        optG.step()

        lossesD.append(lossD.item())
        lossesG.append(lossG.item())
    print(f"epoch {epoch}: D {lossD.item():.3f}  G {lossG.item():.3f}")
    if epoch % 3 == 0:
        show_samples(f"epoch {epoch}")


# In[5]:


plt.plot(lossesD, label="D", alpha=0.6)
plt.plot(lossesG, label="G", alpha=0.6)
plt.legend()
plt.show()
show_samples("final")
torch.save(G.state_dict(), "G_mnist.pth")
