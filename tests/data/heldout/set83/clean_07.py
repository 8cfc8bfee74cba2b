"""Liver-vessel segmentation (3D-IRCADb) on top of a frozen MedicalNet ResNet-10 encoder.

Only the decoder is trained: the encoder weights *and* its BatchNorm statistics stay
exactly as pre-trained (the train() override below keeps encoder BN in eval mode).
"""
import glob
import os
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml
from torch.utils.data import DataLoader, Dataset

DEFAULTS = {
    "data": "/data/3Dircadb/npy",
    "medicalnet": "pretrain/resnet_10_23dataset.pth",
    "patch": 64,
    "batch_size": 8,
    "epochs": 150,
    "lr": 1e-3,
}


def load_cfg(path="vessels.yaml"):
    cfg = dict(DEFAULTS)
    if os.path.exists(path):
        with open(path) as f:
            cfg.update(yaml.safe_load(f) or {})
    return cfg


class BasicBlock3d(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(cout)
        self.conv2 = nn.Conv3d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm3d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False), nn.BatchNorm3d(cout))

    def forward(self, x):
        res = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + res)


class ResNet10Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(1, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm3d(64)
        self.layer1 = BasicBlock3d(64, 64)
        self.layer2 = BasicBlock3d(64, 128, 2)
        self.layer3 = BasicBlock3d(128, 256, 2)

    def forward(self, x):
        x0 = F.relu(self.bn1(self.conv1(x)))
        x1 = self.layer1(x0)
        x2 = self.layer2(x1)
        return x0, x1, x2, self.layer3(x2)


def up_block(cin, cout):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm3d(cout, momentum=0.01),
        nn.ReLU(inplace=True),
    )


class VesselNet(nn.Module):
    def __init__(self, encoder_ckpt=None):
        super().__init__()
        self.encoder = ResNet10Encoder()
        if encoder_ckpt:
            sd = torch.load(encoder_ckpt, map_location="cpu")["state_dict"]
            sd = {k.replace("module.", ""): v for k, v in sd.items() if not k.startswith("module.conv_seg")}
            self.encoder.load_state_dict(sd, strict=False)
        for p in self.encoder.parameters():
            p.requires_grad = False
        self.dec3 = up_block(256 + 128, 128)
        self.dec2 = up_block(128 + 64, 64)
        self.dec1 = up_block(64 + 64, 32)
        self.out = nn.Conv3d(32, 1, 1)

    def train(self, mode=True):
        super().train(mode)
        # frozen encoder: never update its running statistics
        self.encoder.eval()
        return self

    def forward(self, x):
        x0, x1, x2, x3 = self.encoder(x)
        y = self.dec3(torch.cat([F.interpolate(x3, size=x2.shape[2:], mode="trilinear"), x2], 1))
        y = self.dec2(torch.cat([F.interpolate(y, size=x1.shape[2:], mode="trilinear"), x1], 1))
        y = self.dec1(torch.cat([y, x0], 1))
        return self.out(F.interpolate(y, size=x.shape[2:], mode="trilinear"))


class VesselPatches(Dataset):
    def __init__(self, folder, patch):
        self.vols = sorted(glob.glob(os.path.join(folder, "*_ct.npy")))
        self.patch = patch

    def __len__(self):
        return len(self.vols) * 20

    def __getitem__(self, i):
        ct = np.load(self.vols[i % len(self.vols)], mmap_mode="r")
        ves = np.load(self.vols[i % len(self.vols)].replace("_ct", "_vessels"), mmap_mode="r")
        p = self.patch
        c = [random.randint(0, s - p) for s in ct.shape]
        sl = tuple(slice(a, a + p) for a in c)
        x = np.clip((np.asarray(ct[sl], dtype=np.float32) + 100) / 300.0, 0, 1)
        return torch.from_numpy(x[None].copy()), torch.from_numpy(np.asarray(ves[sl], dtype=np.float32)[None].copy())


def main():
    cfg = load_cfg()
    device = torch.device("cuda")
    ds = VesselPatches(os.path.join(cfg["data"], "train"), cfg["patch"])
    loader = DataLoader(ds, batch_size=cfg["batch_size"], shuffle=True, num_workers=6, pin_memory=True)
    model = VesselNet(cfg["medicalnet"]).to(device)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg["lr"])
    pos_weight = torch.tensor([10.0], device=device)

    for epoch in range(cfg["epochs"]):
        model.train()
        running = 0.0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = F.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += loss.item()
        print(f"epoch {epoch}: {running / len(loader):.4f}")
        if (epoch + 1) % 25 == 0:
            torch.save({k: v for k, v in model.state_dict().items() if not k.startswith("encoder.")},
                       f"vesselnet_decoder_ep{epoch + 1}.pt")


if __name__ == "__main__":
    main()
