import torch
import torch.nn as nn
import torch.optim as optim
from torchvision.models import vgg19


class VGG19(nn.Module):
    def __init__(self, gradient=False):
        super().__init__()
        features = vgg19(pretrained=True).features  # plain VGG19: Conv2d + ReLU, no BatchNorm
        self.slice1 = features[:4]
        self.slice2 = features[4:9]
        if not gradient:
            for param in self.parameters():
                param.requires_grad = False

    def forward(self, x):
        h1 = self.slice1(x)
        return {"relu1_2": h1, "relu2_2": self.slice2(h1)}


class Extractor(nn.Module):
    def __init__(self, featmap_size=(256, 256)):
        super().__init__()
        self.feature = VGG19()
        self.map_size = featmap_size

    def forward(self, x):
        maps = self.feature(x)
        maps = [nn.functional.interpolate(m, size=self.map_size, mode="bilinear", align_corners=True) for m in maps.values()]
        return torch.cat(maps, dim=1)


class FeatCAE(nn.Module):
    def __init__(self, in_channels=192, latent_dim=50, is_bn=True):
        super().__init__()
        mid = (in_channels + 2 * latent_dim) // 2
        layers = [nn.Conv2d(in_channels, mid, kernel_size=1)]
        if is_bn:
            layers += [nn.BatchNorm2d(mid)]
        layers += [nn.ReLU(), nn.Conv2d(mid, latent_dim, kernel_size=1), nn.ReLU(),
                   nn.Conv2d(latent_dim, in_channels, kernel_size=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class AnoSegDFR:
    def __init__(self, cfg, train_loader):
        self.device = torch.device(cfg.device)
        self.extractor = Extractor().to(self.device)
        self.autoencoder = FeatCAE(is_bn=cfg.is_bn).to(self.device)
        self.optimizer = optim.Adam(self.autoencoder.parameters(), lr=cfg.lr)
        self.train_data_loader = train_loader
        self.epochs = cfg.epochs

    def train(self):
        for epoch in range(1, self.epochs + 1):
            for normal_img in self.train_data_loader:
                self.optimize_step(normal_img.to(self.device))

    def optimize_step(self, input_data):
        self.extractor.train()
        self.autoencoder.train()
        self.optimizer.zero_grad()
        feats = self.extractor(input_data)
        dec = self.autoencoder(feats)
        loss = torch.mean((dec - feats.detach()) ** 2)
        loss.backward()
        self.optimizer.step()
        return loss

    def score(self, x):
        self.extractor.eval()
        self.autoencoder.eval()
        feats = self.extractor(x)
        dec = self.autoencoder(feats)
        return torch.mean((feats - dec) ** 2, dim=1)
