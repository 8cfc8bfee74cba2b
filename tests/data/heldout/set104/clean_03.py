"""DnCNN denoiser: train on synthetic patches (multi-GPU via DataParallel), test on full-size images.

Test images have different resolutions, so the test loader uses batch_size=1.
"""
import argparse
import glob
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision.transforms.functional import to_tensor

N_PATCHES = 12801
PATCH = 40
BATCH_SIZE = 128


class DnCNN(nn.Module):
    def __init__(self, channels=1, depth=17, features=64):
        super().__init__()
        layers = [nn.Conv2d(channels, features, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [
                nn.Conv2d(features, features, 3, padding=1, bias=False),
                nn.BatchNorm2d(features, eps=1e-4, momentum=0.05),
                nn.ReLU(inplace=True),
            ]
        layers.append(nn.Conv2d(features, channels, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, noisy):
        return noisy - self.net(noisy)   # residual learning: predict the noise


class FolderImages(Dataset):
    def __init__(self, folder):
        self.paths = sorted(glob.glob(os.path.join(folder, "*.png")))

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return to_tensor(Image.open(self.paths[i]).convert("L")), os.path.basename(self.paths[i])


def synthetic_patches(n, size):
    """Smooth random textures: blurred uniform noise plus random gradients."""
    base = torch.rand(n, 1, size, size)
    base = F.avg_pool2d(F.pad(base, (2, 2, 2, 2), mode="reflect"), 5, stride=1)
    ramp = torch.linspace(0, 1, size).view(1, 1, 1, size) * torch.rand(n, 1, 1, 1)
    return (0.7 * base + 0.3 * ramp).clamp(0, 1)


def psnr(a, b):
    mse = F.mse_loss(a, b).item()
    return 10 * math.log10(1.0 / max(mse, 1e-10))


@torch.no_grad()
def test(model, loader, sigma, device, out_dir=None):
    model.eval()
    scores = []
    for img, name in loader:
        img = img.to(device)
        noisy = img + sigma / 255.0 * torch.randn_like(img)
        restored = model(noisy).clamp(0, 1)
        scores.append(psnr(restored, img))
        if out_dir:
            Image.fromarray((restored[0, 0].cpu().numpy() * 255).round().astype("uint8")).save(os.path.join(out_dir, name[0]))
    return sum(scores) / len(scores)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--test-dir", default="data/Set12")
    ap.add_argument("--sigma", type=float, default=25.0)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--out", default="results")
    args = ap.parse_args()

    device = torch.device("cuda")
    clean = synthetic_patches(N_PATCHES, PATCH)
    train_set = TensorDataset(clean)
    # 12801 patches / 128 leaves one single patch at the end of every epoch: drop it
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, drop_last=True, num_workers=2)
    test_loader = DataLoader(FolderImages(args.test_dir), batch_size=1, shuffle=False)

    model = nn.DataParallel(DnCNN()).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30], gamma=0.1)

    for epoch in range(args.epochs):
        model.train()
        epoch_loss = 0.0
        for (patch,) in train_loader:
            patch = patch.to(device)
            noisy = patch + args.sigma / 255.0 * torch.randn_like(patch)
            loss = F.mse_loss(model(noisy), patch, reduction="sum") / (2 * patch.size(0))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        scheduler.step()
        print(f"epoch {epoch + 1}: train loss {epoch_loss / len(train_loader):.4f}, test PSNR {test(model, test_loader, args.sigma, device):.2f} dB")

    os.makedirs(args.out, exist_ok=True)
    final = test(model, test_loader, args.sigma, device, out_dir=args.out)
    print(f"final PSNR {final:.2f} dB")
    torch.save(model.module.state_dict(), os.path.join(args.out, "dncnn.pth"))


if __name__ == "__main__":
    main()
