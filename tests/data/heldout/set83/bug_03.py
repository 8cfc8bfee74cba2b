"""KiTS19 kidney/tumour segmentation with a residual 3-D encoder-decoder.

Iteration-based schedule (nnU-Net style): 250 iterations == 1 "epoch",
validation on held-out cases every `val_every` iterations.
"""
from dataclasses import dataclass
import os
import random

import numpy as np
import SimpleITK as sitk
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


@dataclass
class Config:
    data_dir: str = "/datasets/kits19/preprocessed"
    train_list: str = "splits/train.txt"
    val_list: str = "splits/val.txt"
    patch: tuple = (64, 128, 128)
    batch_size: int = 8
    max_iters: int = 50000
    val_every: int = 2500
    lr: float = 1e-2
    out_dir: str = "work_dirs/kits_resunet"


def read_ids(path):
    with open(path) as f:
        return [l.strip() for l in f if l.strip()]


class KiTSPatchSampler(Dataset):
    """Draws random patches, 1/3 of them centred on foreground."""

    def __init__(self, data_dir, ids, patch, samples_per_case=4):
        self.data_dir, self.ids, self.patch = data_dir, ids, patch
        self.samples_per_case = samples_per_case

    def __len__(self):
        return len(self.ids) * self.samples_per_case

    def _load(self, cid):
        img = sitk.GetArrayFromImage(sitk.ReadImage(os.path.join(self.data_dir, f"{cid}_img.nii.gz")))
        seg = sitk.GetArrayFromImage(sitk.ReadImage(os.path.join(self.data_dir, f"{cid}_seg.nii.gz")))
        return img.astype(np.float32), seg.astype(np.int64)

    def __getitem__(self, i):
        img, seg = self._load(self.ids[i // self.samples_per_case])
        pd, ph, pw = self.patch
        pad = [(0, max(0, p - s)) for p, s in zip(self.patch, img.shape)]
        img, seg = np.pad(img, pad, mode="constant", constant_values=img.min()), np.pad(seg, pad)
        if random.random() < 0.33 and (seg > 0).any():
            zz, yy, xx = np.argwhere(seg > 0)[random.randrange(int((seg > 0).sum()))]
            z = int(np.clip(zz - pd // 2, 0, img.shape[0] - pd))
            y = int(np.clip(yy - ph // 2, 0, img.shape[1] - ph))
            x = int(np.clip(xx - pw // 2, 0, img.shape[2] - pw))
        else:
            z = random.randint(0, img.shape[0] - pd)
            y = random.randint(0, img.shape[1] - ph)
            x = random.randint(0, img.shape[2] - pw)
        img = img[z:z + pd, y:y + ph, x:x + pw]
        seg = seg[z:z + pd, y:y + ph, x:x + pw]
        return torch.from_numpy(img[None].copy()), torch.from_numpy(seg.copy())


class ResBlock3d(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(cout)
        self.conv2 = nn.Conv3d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)  # expect: BN202
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False), nn.BatchNorm3d(cout))

    def forward(self, x):
        idt = x if self.skip is None else self.skip(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + idt, inplace=True)


class ResUNet3d(nn.Module):
    def __init__(self, n_classes=3, widths=(24, 48, 96, 192, 320)):
        super().__init__()
        self.stem = ResBlock3d(1, widths[0])
        self.down = nn.ModuleList([ResBlock3d(widths[i], widths[i + 1], stride=2) for i in range(len(widths) - 1)])
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for i in reversed(range(len(widths) - 1)):
            self.up.append(nn.ConvTranspose3d(widths[i + 1], widths[i], 2, 2, bias=False))
            self.dec.append(ResBlock3d(widths[i] * 2, widths[i]))
        self.head = nn.Conv3d(widths[0], n_classes, 1)

    def forward(self, x):
        feats = [self.stem(x)]
        for d in self.down:
            feats.append(d(feats[-1]))
        x = feats.pop()
        for up, dec in zip(self.up, self.dec):
            x = dec(torch.cat([up(x), feats.pop()], 1))
        return self.head(x)


def dice_score(pred, gt, cls):
    p, g = (pred == cls), (gt == cls)
    denom = p.sum() + g.sum()
    return 1.0 if denom == 0 else (2.0 * (p & g).sum() / denom).item()


def main(cfg=Config()):
    os.makedirs(cfg.out_dir, exist_ok=True)
    torch.manual_seed(0)
    dev = torch.device("cuda")
    train_ds = KiTSPatchSampler(cfg.data_dir, read_ids(cfg.train_list), cfg.patch)
    val_ds = KiTSPatchSampler(cfg.data_dir, read_ids(cfg.val_list), cfg.patch, samples_per_case=2)
    train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True, num_workers=12,
                              pin_memory=True, persistent_workers=True)
    val_loader = DataLoader(val_ds, batch_size=cfg.batch_size, shuffle=False, num_workers=4)

    model = ResUNet3d().to(dev)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.99, nesterov=True, weight_decay=3e-5)
    poly = lambda it: (1 - it / cfg.max_iters) ** 0.9
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, poly)
    ce = nn.CrossEntropyLoss()

    model.train()
    data_iter = iter(train_loader)
    best = 0.0
    for it in range(1, cfg.max_iters + 1):
        try:
            img, seg = next(data_iter)
        except StopIteration:
            data_iter = iter(train_loader)
            img, seg = next(data_iter)
        img, seg = img.to(dev, non_blocking=True), seg.to(dev, non_blocking=True)

        logits = model(img)
        loss = ce(logits, seg)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 12)
        optimizer.step()
        scheduler.step()

        if it % 50 == 0:
            print(f"[{it}/{cfg.max_iters}] loss={loss.item():.4f} lr={scheduler.get_last_lr()[0]:.5f}")

        if it % cfg.val_every == 0:
            model.eval()  # expect: BN103
            kid, tum = [], []
            with torch.no_grad():
                for vimg, vseg in val_loader:
                    pred = model(vimg.to(dev)).argmax(1).cpu()
                    kid.append(dice_score(pred > 0, vseg > 0, True))
                    tum.append(dice_score(pred, vseg, 2))
            score = (np.mean(kid) + np.mean(tum)) / 2
            print(f"  val kidney+tumour {np.mean(kid):.4f} tumour {np.mean(tum):.4f}")
            if score > best:
                best = score
                torch.save(model.state_dict(), os.path.join(cfg.out_dir, "model_best.pt"))

    torch.save(model.state_dict(), os.path.join(cfg.out_dir, "model_final.pt"))


if __name__ == "__main__":
    main()
