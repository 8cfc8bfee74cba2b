"""Blind Gaussian denoising of grayscale microscopy tiles (DnCNN-style
residual learning with a dilated middle section)."""
import glob
import os

import numpy as np
import torch
import torch.nn as nn
from PIL import Image
from torch.utils.data import DataLoader, Dataset


def conv_layer(cin, cout, dilation=1, norm=True):
    layers = [nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU(inplace=True))
    return layers


def build_denoiser(channels=1, features=64, depth=17, dilations=(1, 2, 3, 4, 3, 2, 1)):
    layers = conv_layer(channels, features, norm=False)
    middle = depth - 2
    for i in range(middle):
        d = dilations[i] if i < len(dilations) else 1
        layers += conv_layer(features, features, dilation=d)
    layers.append(nn.Conv2d(features, channels, 3, padding=1))
    return nn.Sequential(*layers)


class ResidualDenoiser(nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.body = build_denoiser(**kwargs)

    def forward(self, noisy):
        return noisy - self.body(noisy)


class NoisyPatches(Dataset):
    def __init__(self, folder, patch=64, patches_per_image=32, sigma_range=(5, 50)):
        self.files = sorted(glob.glob(os.path.join(folder, "*.png")))
        self.patch = patch
        self.per_image = patches_per_image
        self.sigma_range = sigma_range

    def __len__(self):
        return len(self.files) * self.per_image

    def __getitem__(self, idx):
        img = np.asarray(Image.open(self.files[idx // self.per_image]).convert("L"), dtype=np.float32) / 255.0
        h, w = img.shape
        y = np.random.randint(0, h - self.patch + 1)
        x = np.random.randint(0, w - self.patch + 1)
        clean = torch.from_numpy(img[y:y + self.patch, x:x + self.patch].copy()).unsqueeze(0)
        if np.random.rand() < 0.5:
            clean = clean.flip(-1)
        sigma = np.random.uniform(*self.sigma_range) / 255.0
        return clean + sigma * torch.randn_like(clean), clean


def psnr(pred, target):
    mse = torch.mean((pred.clamp(0, 1) - target) ** 2, dim=(1, 2, 3))
    return (10 * torch.log10(1.0 / mse)).mean().item()


def main(train_dir="data/tiles/train", val_dir="data/tiles/val", epochs=50):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = ResidualDenoiser(channels=1, features=64, depth=17).to(device)
    train_loader = DataLoader(NoisyPatches(train_dir), batch_size=128, shuffle=True,
                              num_workers=8, drop_last=True)
    val_loader = DataLoader(NoisyPatches(val_dir, patches_per_image=4, sigma_range=(25, 25)), batch_size=64)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 45], gamma=0.1)
    loss_fn = nn.MSELoss(reduction="sum")

    for epoch in range(epochs):
        model.train()
        for noisy, clean in train_loader:
            noisy, clean = noisy.to(device), clean.to(device)
            loss = loss_fn(model(noisy), clean) / (2 * noisy.size(0))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()

        model.eval()
        with torch.no_grad():
            scores = [psnr(model(n.to(device)), c.to(device)) for n, c in val_loader]
        print(f"epoch {epoch + 1}: val PSNR {np.mean(scores):.2f} dB (sigma=25)")
    torch.save(model.state_dict(), "denoiser.pt")


if __name__ == "__main__":
    main()
