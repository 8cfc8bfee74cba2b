"""MoNuSeg nuclei segmentation (3-class: background / nucleus interior / boundary).

Training patches are pre-extracted: exactly NUM_PATCHES 256x256 tiles in one .npy stack.
"""
import argparse
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

NUM_PATCHES = 1000
PATCH_FILE = "data/monuseg/train_patches_256.npy"
MASK_FILE = "data/monuseg/train_masks3c_256.npy"


class TilePatches(Dataset):
    def __init__(self, augment=True):
        self.x = np.load(PATCH_FILE, mmap_mode="r")  # (NUM_PATCHES, 256, 256, 3) uint8
        self.y = np.load(MASK_FILE, mmap_mode="r")   # (NUM_PATCHES, 256, 256) uint8
        self.augment = augment

    def __len__(self):
        return NUM_PATCHES

    def __getitem__(self, i):
        x = np.asarray(self.x[i], dtype=np.float32) / 255.0
        y = np.asarray(self.y[i], dtype=np.int64)
        if self.augment:
            k = np.random.randint(4)
            x, y = np.rot90(x, k), np.rot90(y, k)
            if np.random.rand() < 0.5:
                x, y = x[:, ::-1], y[:, ::-1]
            # H&E stain jitter
            x = np.clip(x * np.random.uniform(0.9, 1.1, 3) + np.random.uniform(-0.05, 0.05, 3), 0, 1)
        return torch.from_numpy(x.transpose(2, 0, 1).copy()), torch.from_numpy(y.copy())


class TestTiles(Dataset):
    def __init__(self, images, masks):
        self.images, self.masks = images, masks

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return (torch.from_numpy(self.images[i].transpose(2, 0, 1).astype(np.float32) / 255.0),
                torch.from_numpy(self.masks[i].astype(np.int64)))


def cbr(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01),
            nn.ReLU(inplace=True)]


class NucleiNet(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.enc1 = nn.Sequential(*cbr(3, 32), *cbr(32, 32))
        self.enc2 = nn.Sequential(*cbr(32, 64), *cbr(64, 64))
        self.enc3 = nn.Sequential(*cbr(64, 128), *cbr(128, 128))
        self.dec2 = nn.Sequential(*cbr(128 + 64, 64))
        self.dec1 = nn.Sequential(*cbr(64 + 32, 32))
        self.cls = nn.Conv2d(32, n_classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        e3 = self.enc3(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([F.interpolate(e3, scale_factor=2), e2], 1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, scale_factor=2), e1], 1))
        return self.cls(d1)


@torch.inference_mode()
def evaluate(model, loader, device):
    model.eval()
    tp = fp = fn = 0
    for x, y in loader:
        pred = model(x.to(device)).argmax(1).cpu()
        p, t = pred == 1, y == 1
        tp += (p & t).sum().item()
        fp += (p & ~t).sum().item()
        fn += (~p & t).sum().item()
    return 2 * tp / max(2 * tp + fp + fn, 1)


def test(model, loader, device):
    """Pixel accuracy + interior Dice. Model must already be in inference mode."""
    correct = total = 0
    inter = denom = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1).cpu()
            correct += (pred == y).sum().item()
            total += y.numel()
            inter += ((pred == 1) & (y == 1)).sum().item()
            denom += (pred == 1).sum().item() + (y == 1).sum().item()
    return correct / total, 2 * inter / max(denom, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=120)
    ap.add_argument("--batch-size", type=int, default=12)
    ap.add_argument("--test-npz", default="data/monuseg/test_tiles.npz")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_loader = DataLoader(TilePatches(), batch_size=args.batch_size, shuffle=True, num_workers=4)
    test_npz = np.load(args.test_npz)
    test_loader = DataLoader(TestTiles(test_npz["images"], test_npz["masks"]), batch_size=4)

    model = NucleiNet().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    # boundary class is thin -> heavier weight
    criterion = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 1.0, 5.0], device=device))

    for epoch in range(args.epochs):
        model.train()
        t0, n_ok, n_px = time.time(), 0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = criterion(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            n_ok += (logits.argmax(1) == y).sum().item()
            n_px += y.numel()
        msg = f"epoch {epoch}: loss {loss.item():.4f} train pix-acc {n_ok / n_px:.4f} ({time.time() - t0:.1f}s)"
        if epoch % 10 == 9:
            msg += f" | test nucleus F1 {evaluate(model, test_loader, device):.4f}"
        print(msg)

    model.train(mode=False)
    acc, dice = test(model, test_loader, device)
    print(f"final: pixel acc {acc:.4f}, interior dice {dice:.4f}")
    torch.save(model.state_dict(), "nucleinet_monuseg.pt")


if __name__ == "__main__":
    main()
