import torch
from torch import nn


class Generator(nn.Module):
    def __init__(self, z_dim=20):
        super().__init__()
        self.body = nn.Sequential(nn.ConvTranspose2d(z_dim, 16, 7, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.Conv2d(16, 1, 3, padding=1), nn.Tanh())

    def forward(self, z):
        images = self.body(z)
        return images, images.mean(dim=(1, 2, 3))


def train_model(G, dataloader, num_epochs):
    optimizer = torch.optim.Adam(G.parameters(), lr=1e-4)
    G.train()
    for epoch in range(num_epochs):
        for real in dataloader:
            fake, _ = G(torch.randn(real.size(0), 20, 1, 1))
            loss = (fake - real).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return G
