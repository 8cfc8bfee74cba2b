"""3D ResNet-50 (bottleneck) for classifying brain MRI volumes (CN / MCI / AD),
with a factory that accepts any norm layer and a TorchScript export step.
"""
from __future__ import annotations

import argparse
import functools
import glob
import os
from typing import Callable, List, Optional, Type

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

LABELS = ["CN", "MCI", "AD"]
VOLUME = (96, 112, 96)


class MRIVolumes(Dataset):
    def __init__(self, root: str, split: str):
        self.files = sorted(glob.glob(os.path.join(root, split, "*", "*.npy")))

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        vol = np.load(self.files[i]).astype(np.float32)
        vol = (vol - vol.mean()) / (vol.std() + 1e-6)
        label = LABELS.index(os.path.basename(os.path.dirname(self.files[i])))
        return torch.from_numpy(vol)[None], label  # (1, D, H, W)


class Bottleneck3d(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None,
                 norm_layer: Callable[[int], nn.Module] = nn.BatchNorm3d):
        super().__init__()
        self.conv1 = nn.Conv3d(inplanes, planes, 1, bias=False)
        self.bn1 = norm_layer(planes)
        self.conv2 = nn.Conv3d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = norm_layer(planes)
        self.conv3 = nn.Conv3d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet3d(nn.Module):
    def __init__(self, block: Type[Bottleneck3d], layers: List[int], num_classes: int = len(LABELS),
                 norm_layer: Optional[Callable[[int], nn.Module]] = None):
        super().__init__()
        self._norm = norm_layer or nn.BatchNorm3d
        self.inplanes = 64
        self.conv1 = nn.Conv3d(1, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm(self.inplanes)
        self.pool = nn.MaxPool3d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv3d(self.inplanes, planes * block.expansion, 1, stride=stride, bias=False),
                self._norm(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, norm_layer=self._norm)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, norm_layer=self._norm))
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool3d(x, 1), 1))


def resnet50_3d(**kwargs) -> ResNet3d:
    norm = functools.partial(nn.BatchNorm3d, eps=1e-3, momentum=0.05)
    return ResNet3d(Bottleneck3d, [3, 4, 6, 3], norm_layer=norm, **kwargs)


def balanced_accuracy(model: nn.Module, loader: DataLoader, device: str) -> float:
    model.train(False)
    correct = torch.zeros(len(LABELS))
    support = torch.zeros(len(LABELS))
    with torch.inference_mode():
        for vol, label in loader:
            pred = model(vol.to(device)).argmax(1).cpu()
            for c in range(len(LABELS)):
                support[c] += (label == c).sum()
                correct[c] += ((label == c) & (pred == c)).sum()
    return (correct / support.clamp_min(1)).mean().item()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/data/adni_preprocessed")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=12)
    args = ap.parse_args()
    device = "cuda"

    train_loader = DataLoader(MRIVolumes(args.root, "train"), batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=8, pin_memory=True)
    val_loader = DataLoader(MRIVolumes(args.root, "val"), batch_size=4, num_workers=4)
    model = resnet50_3d().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    scaler = torch.cuda.amp.GradScaler()
    best = 0.0
    for epoch in range(args.epochs):
        model.train()
        for vol, label in train_loader:
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.cross_entropy(model(vol.to(device, non_blocking=True)), label.to(device))
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        sched.step()
        bacc = balanced_accuracy(model, val_loader, device)
        print(f"epoch {epoch}: loss {loss.item():.4f} balanced acc {bacc:.4f}")
        if bacc > best:
            best = bacc
            torch.save(model.state_dict(), "resnet50_3d_adni.pt")

    model.load_state_dict(torch.load("resnet50_3d_adni.pt"))
    model.train(False)
    scripted = torch.jit.trace(model.cpu(), torch.randn(1, 1, *VOLUME))
    scripted.save("resnet50_3d_adni.ts")


if __name__ == "__main__":
    main()
