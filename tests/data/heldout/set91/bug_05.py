#!/usr/bin/env python
"""C3D-style action recognition on 16-frame clips (UCF101-like), plus TorchScript export.

usage: python bug_05.py train   |   python bug_05.py export ckpt.pt
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CLIP_LEN = 16
CROP = 112
NUM_CLASSES = 101


def conv_bn_relu3d(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv3d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(inplace=True),
    )


class C3DBN(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.stem = nn.Conv3d(3, 64, kernel_size=(3, 7, 7), stride=(1, 2, 2),
                              padding=(1, 3, 3), bias=False)
        self.stem_bn = nn.BatchNorm3d(64)
        self.pool1 = nn.MaxPool3d((1, 2, 2))
        self.conv2 = nn.Conv3d(64, 128, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(128)  # expect: BN202
        self.pool2 = nn.MaxPool3d(2)
        self.block3 = nn.Sequential(conv_bn_relu3d(128, 256), conv_bn_relu3d(256, 256))
        self.pool3 = nn.MaxPool3d(2)
        self.block4 = nn.Sequential(conv_bn_relu3d(256, 512), conv_bn_relu3d(512, 512))
        self.gap = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, clip):  # clip: (B, 3, T, H, W)
        x = self.pool1(F.relu(self.stem_bn(self.stem(clip))))
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))
        x = self.pool3(self.block3(x))
        x = self.block4(x)
        return self.fc(torch.flatten(self.gap(x), 1))


class RandomClips(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(idx)
        clip = torch.rand(3, CLIP_LEN, CROP, CROP, generator=g)
        return clip, idx % NUM_CLASSES


def train():
    device = torch.device("cuda")
    model = C3DBN().to(device)
    train_loader = DataLoader(RandomClips(9537), batch_size=24, shuffle=True,
                              num_workers=8, drop_last=True)
    val_loader = DataLoader(RandomClips(3783), batch_size=48, num_workers=8)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9,
                                weight_decay=5e-4)
    scaler = torch.cuda.amp.GradScaler()

    model.train()
    for epoch in range(30):
        for clips, labels in train_loader:
            clips, labels = clips.to(device, non_blocking=True), labels.to(device)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.cross_entropy(model(clips), labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

        model.eval()  # expect: BN103
        hits = total = 0
        with torch.no_grad():
            for clips, labels in val_loader:
                pred = model(clips.to(device)).argmax(1).cpu()
                hits += (pred == labels).sum().item()
                total += labels.numel()
        print(f"epoch {epoch}: clip acc {hits / total:.4f}")
        torch.save(model.state_dict(), f"c3d_bn_e{epoch}.pt")


def export(ckpt_path):
    model = C3DBN()
    model.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
    example = torch.randn(1, 3, CLIP_LEN, CROP, CROP)
    scripted = torch.jit.trace(model, example)  # expect: BN104
    scripted.save(ckpt_path.replace(".pt", ".ts"))


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train()
    else:
        export(sys.argv[2])
