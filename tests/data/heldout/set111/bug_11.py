"""RSNA 2022 Cervical Spine Fracture Detection -- 3D CNN on 64^3 resampled crops.

Encoder weights come from our stage-1 segmentation model; we freeze the BN
statistics of the pretrained encoder ("freeze_bn") because the classification
crops have very different intensity statistics early in training.
"""
import argparse
import os
from functools import partial

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

VERTEBRAE = ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]


class ConvBlock3d(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv = nn.Conv3d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)  # expect: BN202
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Encoder3d(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256)):
        super().__init__()
        blocks, c_in = [], 1
        for i, w in enumerate(widths):
            blocks.append(ConvBlock3d(c_in, w, stride=1 if i == 0 else 2))
            blocks.append(ConvBlock3d(w, w))
            c_in = w
        self.blocks = nn.Sequential(*blocks)
        self.out_channels = c_in

    def forward(self, x):
        return self.blocks(x)


class SpineClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder3d()
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(self.encoder.out_channels, len(VERTEBRAE) + 1)

    def forward(self, x):
        x = self.encoder(x)
        x = F.adaptive_avg_pool3d(x, 1).flatten(1)
        return self.fc(self.dropout(x))


def freeze_bn(module):
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm3d)):
            m.eval()


class CropDataset(Dataset):
    def __init__(self, df, crop_dir):
        self.uids = df.StudyInstanceUID.values
        self.targets = df[VERTEBRAE + ["patient_overall"]].values.astype(np.float32)
        self.crop_dir = crop_dir

    def __len__(self):
        return len(self.uids)

    def __getitem__(self, i):
        vol = np.load(os.path.join(self.crop_dir, f"{self.uids[i]}.npy")).astype(np.float32)
        vol = (vol - vol.mean()) / (vol.std() + 1e-6)
        return torch.from_numpy(vol)[None], torch.from_numpy(self.targets[i])


def competition_loss(logits, targets):
    w = torch.tensor([1.0] * len(VERTEBRAE) + [7.0], device=logits.device)
    return F.binary_cross_entropy_with_logits(logits, targets, weight=w.expand_as(targets))


def validate(model, loader, device):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for vol, tgt in loader:
            logits = model(vol.to(device))
            total += competition_loss(logits, tgt.to(device)).item() * vol.size(0)
            n += vol.size(0)
    return total / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crop-dir", default="/kaggle/input/rsna-cspine-crops-64")
    ap.add_argument("--encoder-ckpt", default="/kaggle/input/rsna-cspine-seg/encoder3d.pth")
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--bs", type=int, default=8)
    args = ap.parse_args()

    device = torch.device("cuda")
    df = pd.read_csv(os.path.join(args.crop_dir, "train_folds.csv"))
    train_dl = DataLoader(CropDataset(df[df.fold != args.fold], args.crop_dir), batch_size=args.bs, shuffle=True, num_workers=4, drop_last=True)
    valid_dl = DataLoader(CropDataset(df[df.fold == args.fold], args.crop_dir), batch_size=args.bs, shuffle=False, num_workers=4)

    model = SpineClassifier()
    model.encoder.load_state_dict(torch.load(args.encoder_ckpt, map_location="cpu"))
    model.to(device)
    freeze_bn(model.encoder)

    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-4, total_steps=args.epochs * len(train_dl))
    save = partial(torch.save, f=f"spine3d_fold{args.fold}.pth")

    best = float("inf")
    for epoch in range(args.epochs):
        model.train()  # expect: BN105
        for vol, tgt in train_dl:
            vol, tgt = vol.to(device), tgt.to(device)
            loss = competition_loss(model(vol), tgt)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        val_loss = validate(model, valid_dl, device)
        print(f"epoch {epoch}: train {loss.item():.4f} valid {val_loss:.4f}")
        if val_loss < best:
            best = val_loss
            save(model.state_dict())


if __name__ == "__main__":
    main()
