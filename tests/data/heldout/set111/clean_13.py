"""RSNA 2023 Abdominal Trauma Detection -- hybrid 3D/2.5D/1D model.

  volume (B, 1, D, H, W)
    -> 3D stem (Conv3d + BatchNorm3d)
    -> every depth slice through a shared 2D CNN (Conv2d + BatchNorm2d)  [2.5D]
    -> slice sequence (B, C, D) through Conv1d + BatchNorm1d
    -> pooled vector through Linear + BatchNorm1d
"""
import os

import numpy as np
import pandas as pd
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

DEPTH = 32
SIZE = 192
STEM_CH = 16
SLICE_CH = 128
SEQ_CH = 128
EMB = 256
HEADS = {"bowel": 1, "extravasation": 1, "kidney": 3, "liver": 3, "spleen": 3}


class Stem3d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(1, STEM_CH, kernel_size=(3, 5, 5), stride=(1, 2, 2), padding=(1, 2, 2), bias=False)
        self.bn = nn.BatchNorm3d(STEM_CH)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class SliceEncoder(nn.Sequential):
    def __init__(self):
        super().__init__(
            nn.Conv2d(STEM_CH, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.Conv2d(64, SLICE_CH, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(SLICE_CH), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )


class TraumaNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = Stem3d()
        self.slice_enc = SliceEncoder()
        self.seq = nn.Sequential(
            nn.Conv1d(SLICE_CH, SEQ_CH, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm1d(SEQ_CH),
            nn.GELU(),
            nn.Conv1d(SEQ_CH, SEQ_CH, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm1d(SEQ_CH),
            nn.GELU(),
        )
        self.neck = nn.Sequential(
            nn.Flatten(),
            nn.Linear(2 * SEQ_CH, EMB, bias=False),
            nn.BatchNorm1d(EMB),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
        )
        self.heads = nn.ModuleDict({k: nn.Linear(EMB, n) for k, n in HEADS.items()})

    def forward(self, vol):
        b = vol.size(0)
        x = self.stem(vol)                                  # (B, C, D, H', W')
        d = x.size(2)
        x = x.permute(0, 2, 1, 3, 4).reshape(b * d, STEM_CH, x.size(3), x.size(4))
        x = self.slice_enc(x)                               # (B*D, SLICE_CH)
        x = x.view(b, d, SLICE_CH).transpose(1, 2)          # (B, SLICE_CH, D)
        x = self.seq(x)                                     # (B, SEQ_CH, D)
        x = torch.cat([x.mean(2, keepdim=True), x.amax(2, keepdim=True)], dim=2)  # (B, SEQ_CH, 2)
        x = self.neck(x)
        return {k: head(x) for k, head in self.heads.items()}


class VolumeDataset(Dataset):
    def __init__(self, df, vol_dir):
        self.df = df.reset_index(drop=True)
        self.vol_dir = vol_dir

    def __len__(self):
        return len(self.df)

    def __getitem__(self, i):
        r = self.df.iloc[i]
        vol = np.load(os.path.join(self.vol_dir, f"{r.patient_id}_{r.series_id}.npy")).astype(np.float32)
        vol = torch.from_numpy(vol)[None] / 255.0                   # (1, D, H, W)
        tgt = {
            "bowel": torch.tensor([r.bowel_injury], dtype=torch.float32),
            "extravasation": torch.tensor([r.extravasation_injury], dtype=torch.float32),
            "kidney": torch.tensor(int(np.argmax([r.kidney_healthy, r.kidney_low, r.kidney_high]))),
            "liver": torch.tensor(int(np.argmax([r.liver_healthy, r.liver_low, r.liver_high]))),
            "spleen": torch.tensor(int(np.argmax([r.spleen_healthy, r.spleen_low, r.spleen_high]))),
        }
        return vol, tgt


def compute_loss(out, tgt):
    loss = F.binary_cross_entropy_with_logits(out["bowel"], tgt["bowel"]) + F.binary_cross_entropy_with_logits(out["extravasation"], tgt["extravasation"])
    for k in ("kidney", "liver", "spleen"):
        loss = loss + F.cross_entropy(out[k], tgt[k])
    return loss


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    for vol, tgt in loader:
        vol = vol.to(device)
        tgt = {k: v.to(device) for k, v in tgt.items()}
        loss = compute_loss(model(vol), tgt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


@torch.no_grad()
def validate(model, loader, device):
    model.eval()
    losses = []
    for vol, tgt in loader:
        tgt = {k: v.to(device) for k, v in tgt.items()}
        losses.append(compute_loss(model(vol.to(device)), tgt).item())
    return float(np.mean(losses))


if __name__ == "__main__":
    device = torch.device("cuda")
    df = pd.read_csv("../input/rsna-2023-vols/train_folds.csv")
    vol_dir = "../input/rsna-2023-vols/npy_32x192"
    for fold in range(5):
        trn_dl = DataLoader(VolumeDataset(df[df.fold != fold], vol_dir), batch_size=12, shuffle=True, num_workers=6, drop_last=True)
        val_dl = DataLoader(VolumeDataset(df[df.fold == fold], vol_dir), batch_size=12, shuffle=False, num_workers=6)
        model = TraumaNet().to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=1e-2)
        best = np.inf
        for epoch in range(15):
            tr = train_one_epoch(model, trn_dl, optimizer, device)
            va = validate(model, val_dl, device)
            print(f"fold {fold} epoch {epoch}: train {tr:.4f} valid {va:.4f}")
            if va < best:
                best = va
                torch.save(model.state_dict(), f"trauma_fold{fold}.pth")
