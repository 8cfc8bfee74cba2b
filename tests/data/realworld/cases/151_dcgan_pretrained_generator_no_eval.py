import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torchvision.utils as vutils

nz, ngf, nc = 100, 64, 1


class Generator(nn.Module):
    def __init__(self, ngpu=1):
        super().__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False), nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


G = Generator(ngpu=1)
G.load_state_dict(torch.load("weights/netG_epoch_99.pth", map_location="cpu"))

batch_size = 25
latent_size = 100
fixed_noise = torch.randn(batch_size, latent_size, 1, 1)
fake_images = G(fixed_noise)
fake_images_np = fake_images.detach().cpu().numpy()
grid = vutils.make_grid(torch.from_numpy(fake_images_np), nrow=5, normalize=True)
plt.imshow(grid.permute(1, 2, 0))
plt.savefig("samples.png")
