"""Two-stream action recognition: a 3D clip stream plus a 2D key-frame stream.

Activation checkpointing keeps the 3D stream within 24 GB at 16x112x112 clips.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint
from torch.utils.data import DataLoader, Dataset

log = logging.getLogger("two_stream")

NUM_CLASSES = 101
CLIP_LEN = 16


class Sample(NamedTuple):
    clip: torch.Tensor   # (3, T, H, W)
    frame: torch.Tensor  # (3, H, W)
    label: int


class ClipDataset(Dataset):
    def __init__(self, index_file: Path) -> None:
        self.items = [line.split() for line in index_file.read_text().splitlines()]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, idx: int) -> Sample:
        path, label = self.items[idx]
        clip = torch.load(path, weights_only=True).float().div_(255)  # (T, H, W, 3) uint8
        clip = clip.permute(3, 0, 1, 2).contiguous()
        return Sample(clip, clip[:, CLIP_LEN // 2], int(label))


class ClipStream(nn.Module):
    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(3, width, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
            nn.BatchNorm2d(width),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.MaxPool3d(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
        )
        self.blocks = nn.ModuleList([
            nn.Sequential(
                nn.Conv3d(width, width * 2, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm3d(width * 2),
                nn.ReLU(inplace=True),
            ),
            nn.Sequential(
                nn.Conv3d(width * 2, width * 4, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm3d(width * 4),
                nn.ReLU(inplace=True),
            ),
        ])
        self.out_dim = width * 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = checkpoint(block, x, use_reentrant=False) if self.training else block(x)
        return F.adaptive_avg_pool3d(x, 1).flatten(1)


class FrameStream(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm1d(64),  # expect: BN202
            nn.ReLU(inplace=True),
            nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.out_dim = 128

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


class TwoStream(nn.Module):
    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.clip_stream = ClipStream()
        self.frame_stream = FrameStream()
        self.fusion = nn.Sequential(
            nn.Linear(256 + 128, 256, bias=False),
            nn.BatchNorm1d(256, 256),  # expect: BN206
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(256, num_classes),
        )

    def forward(self, clip: torch.Tensor, frame: torch.Tensor) -> torch.Tensor:
        feats = torch.cat([self.clip_stream(clip), self.frame_stream(frame)], dim=1)
        return self.fusion(feats)


def run_epoch(model: TwoStream, loader: DataLoader, optimizer: torch.optim.Optimizer,
              scaler: torch.amp.GradScaler, device: torch.device) -> float:
    model.train()
    total = 0.0
    for clip, frame, label in loader:
        clip, frame, label = clip.to(device), frame.to(device), label.to(device)
        with torch.autocast("cuda", dtype=torch.float16):
            loss = F.cross_entropy(model(clip, frame), label)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        total += loss.item()
    return total / len(loader)


@torch.inference_mode()
def test(model: TwoStream, loader: DataLoader, device: torch.device) -> float:
    model.eval()
    correct = seen = 0
    for clip, frame, label in loader:
        pred = model(clip.to(device), frame.to(device)).argmax(1).cpu()
        correct += int((pred == label).sum())
        seen += len(label)
    return correct / seen


def main() -> None:
    device = torch.device("cuda")
    train_loader = DataLoader(ClipDataset(Path("splits/train01.txt")), batch_size=24, shuffle=True,
                              num_workers=12, pin_memory=True, drop_last=True)
    test_loader = DataLoader(ClipDataset(Path("splits/test01.txt")), batch_size=32, num_workers=12)
    model = TwoStream().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    scaler = torch.amp.GradScaler("cuda")
    for epoch in range(45):
        loss = run_epoch(model, train_loader, optimizer, scaler, device)
        if epoch % 5 == 4:
            log.info("epoch %d loss %.4f top1 %.4f", epoch, loss, test(model, test_loader, device))
        else:
            log.info("epoch %d loss %.4f", epoch, loss)
    torch.save(model.state_dict(), "two_stream_ucf101.pt")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
