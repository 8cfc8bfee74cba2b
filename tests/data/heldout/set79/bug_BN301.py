"""Liver + tumour segmentation on CT sub-volumes with a lightweight 3D U-Net.

    python train_ct3d.py --data /data/lits/npz --epochs 300 --patch 128
"""
import argparse
import glob
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


def get_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--patch", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--out", default="ckpt_ct3d")
    return ap.parse_args()


class CTPatches(Dataset):
    def __init__(self, files, patch, train=True):
        self.files, self.patch, self.train = files, patch, train

    def __len__(self):
        return len(self.files) * (4 if self.train else 1)

    def __getitem__(self, idx):
        arr = np.load(self.files[idx % len(self.files)])
        vol = np.clip(arr["image"], -200, 250).astype(np.float32)
        vol = (vol + 200.0) / 450.0
        seg = arr["label"].astype(np.int64)
        p = self.patch
        d, h, w = vol.shape
        z0, y0, x0 = (np.random.randint(0, max(s - p, 0) + 1) for s in (d, h, w))
        vol, seg = vol[z0:z0 + p, y0:y0 + p, x0:x0 + p], seg[z0:z0 + p, y0:y0 + p, x0:x0 + p]
        return torch.from_numpy(vol.copy())[None], torch.from_numpy(seg.copy())


def block3d(cin, cout):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.LeakyReLU(0.01, True),
        nn.Conv3d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.LeakyReLU(0.01, True),
    )


class UNet3D(nn.Module):
    def __init__(self, n_classes=3, widths=(16, 32, 64, 128)):
        super().__init__()
        self.downs = nn.ModuleList()
        cin = 1
        for w in widths:
            self.downs.append(block3d(cin, w))
            cin = w
        self.ups = nn.ModuleList()
        self.up_convs = nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.up_convs.append(nn.ConvTranspose3d(cin, w, 2, stride=2))
            self.ups.append(block3d(2 * w, w))
            cin = w
        self.head = nn.Conv3d(cin, n_classes, 1)

    def forward(self, x):
        skips = []
        for i, down in enumerate(self.downs):
            x = down(x if i == 0 else F.max_pool3d(x, 2))
            skips.append(x)
        for up_conv, up, skip in zip(self.up_convs, self.ups, reversed(skips[:-1])):
            x = up(torch.cat([up_conv(x), skip], dim=1))
        return self.head(x)


def soft_dice_loss(logits, target, eps=1e-5):
    probs = logits.softmax(1)
    onehot = F.one_hot(target, probs.shape[1]).permute(0, 4, 1, 2, 3).float()
    inter = (probs * onehot).sum((2, 3, 4))
    denom = probs.sum((2, 3, 4)) + onehot.sum((2, 3, 4))
    return 1 - ((2 * inter + eps) / (denom + eps))[:, 1:].mean()


def main():
    args = get_args()
    os.makedirs(args.out, exist_ok=True)
    files = sorted(glob.glob(os.path.join(args.data, "*.npz")))
    split = int(0.85 * len(files))
    train_ds = CTPatches(files[:split], args.patch, train=True)
    val_ds = CTPatches(files[split:], args.patch, train=False)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, drop_last=True)  # expect: BN301
    val_loader = DataLoader(val_ds, batch_size=1, num_workers=args.workers)

    device = torch.device("cuda")
    model = UNet3D().to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-5)
    scaler = torch.cuda.amp.GradScaler()
    for epoch in range(args.epochs):
        model.train()
        for vol, seg in train_loader:
            vol, seg = vol.to(device), seg.to(device)
            with torch.autocast("cuda", dtype=torch.float16):
                logits = model(vol)
                loss = F.cross_entropy(logits, seg) + soft_dice_loss(logits.float(), seg)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        if epoch % 10 == 9:
            model.eval()
            with torch.no_grad():
                dice = [1 - soft_dice_loss(model(v.to(device)), s.to(device)).item() for v, s in val_loader]
            print(f"epoch {epoch + 1}: val dice {np.mean(dice):.4f}")
            torch.save(model.state_dict(), os.path.join(args.out, f"unet3d_e{epoch + 1}.pt"))


if __name__ == "__main__":
    main()
