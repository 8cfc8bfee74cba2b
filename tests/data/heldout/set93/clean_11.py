"""Audio-visual event classifier: R(2+1)D video tower, 1-D conv audio tower,
late fusion head. Config is a JSON file mapped onto nested dataclasses.

    python clean_11.py --config av.json
"""
from __future__ import annotations

import argparse
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

log = logging.getLogger("av")

# BatchNorm hyper-parameters used by the original video checkpoints
VIDEO_BN_EPS = 1e-3
VIDEO_BN_MOMENTUM = 0.01


# -------------------------------------------------------------- video tower
class Conv2Plus1D(nn.Sequential):
    def __init__(self, in_ch: int, out_ch: int, mid_ch: int, stride: int = 1) -> None:
        super().__init__(
            nn.Conv3d(in_ch, mid_ch, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False),
            nn.BatchNorm3d(mid_ch, VIDEO_BN_EPS, VIDEO_BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv3d(mid_ch, out_ch, (3, 1, 1), (stride, 1, 1), (1, 0, 0), bias=False),
        )


class VideoBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        mid = (in_ch * out_ch * 27) // (in_ch * 9 + 3 * out_ch)
        self.conv1 = Conv2Plus1D(in_ch, out_ch, mid, stride)
        self.bn1 = nn.BatchNorm3d(out_ch, VIDEO_BN_EPS, VIDEO_BN_MOMENTUM)
        self.conv2 = Conv2Plus1D(out_ch, out_ch, mid)
        self.bn2 = nn.BatchNorm3d(out_ch, VIDEO_BN_EPS, VIDEO_BN_MOMENTUM)
        self.down = None
        if stride != 1 or in_ch != out_ch:
            self.down = nn.Sequential(
                nn.Conv3d(in_ch, out_ch, 1, stride, bias=False),
                nn.BatchNorm3d(out_ch, eps=VIDEO_BN_EPS, momentum=VIDEO_BN_MOMENTUM),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.down is None else self.down(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity, inplace=True)


class VideoTower(nn.Module):
    def __init__(self, widths: Tuple[int, ...] = (64, 128, 256)) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(3, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False),
            nn.BatchNorm3d(45, VIDEO_BN_EPS, VIDEO_BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv3d(45, widths[0], (3, 1, 1), 1, (1, 0, 0), bias=False),
            nn.BatchNorm3d(widths[0], VIDEO_BN_EPS, VIDEO_BN_MOMENTUM),
            nn.ReLU(inplace=True),
        )
        blocks, in_ch = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(VideoBlock(in_ch, w, stride=1 if i == 0 else 2))
            in_ch = w
        self.blocks = nn.Sequential(*blocks)
        self.out_dim = in_ch

    def forward(self, clip: torch.Tensor) -> torch.Tensor:   # (N, 3, T, H, W)
        x = self.blocks(self.stem(clip))
        return F.adaptive_avg_pool3d(x, 1).flatten(1)


# -------------------------------------------------------------- audio tower
class AudioTower(nn.Module):
    def __init__(self, n_mels: int = 64, channels: Tuple[int, ...] = (128, 128, 256, 256)) -> None:
        super().__init__()
        layers, in_ch = [], n_mels
        for ch in channels:
            layers += [
                nn.Conv1d(in_ch, ch, kernel_size=5, padding=2, bias=False),
                nn.BatchNorm1d(ch, eps=1e-3),
                nn.ReLU(inplace=True),
                nn.MaxPool1d(2),
            ]
            in_ch = ch
        self.net = nn.Sequential(*layers)
        self.out_dim = in_ch

    def forward(self, mel: torch.Tensor) -> torch.Tensor:   # (N, n_mels, frames)
        return self.net(mel).mean(dim=2)


class AVClassifier(nn.Module):
    def __init__(self, num_classes: int, fusion_dim: int = 512, n_mels: int = 64) -> None:
        super().__init__()
        self.video = VideoTower()
        self.audio = AudioTower(n_mels)
        self.fusion = nn.Sequential(
            nn.Linear(self.video.out_dim + self.audio.out_dim, fusion_dim, bias=False),
            nn.BatchNorm1d(fusion_dim),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
        )
        self.classifier = nn.Linear(fusion_dim, num_classes)

    def forward(self, clip: torch.Tensor, mel: torch.Tensor) -> torch.Tensor:
        z = torch.cat([self.video(clip), self.audio(mel)], dim=1)
        return self.classifier(self.fusion(z))


# ------------------------------------------------------------------- config
@dataclass
class DataConfig:
    num_train: int = 8_000
    num_val: int = 800
    frames: int = 8
    size: int = 112
    n_mels: int = 64
    mel_frames: int = 256
    batch_size: int = 16
    workers: int = 6


@dataclass
class OptimConfig:
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    epochs: int = 45
    warmup_epochs: int = 5


@dataclass
class ExperimentConfig:
    name: str = "av_r2plus1d"
    num_classes: int = 309
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    out_dir: str = "runs"
    resume: Optional[str] = None

    @classmethod
    def from_dict(cls, raw: Dict[str, Any]) -> "ExperimentConfig":
        raw = dict(raw)
        data = DataConfig(**raw.pop("data", {}))
        optim = OptimConfig(**raw.pop("optim", {}))
        return cls(data=data, optim=optim, **raw)


# --------------------------------------------------------------------- data
class SyntheticAV(Dataset):
    def __init__(self, n: int, cfg: DataConfig, num_classes: int) -> None:
        self.n, self.cfg, self.k = n, cfg, num_classes

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        c = self.cfg
        clip = torch.randn(3, c.frames, c.size, c.size)
        mel = torch.randn(c.n_mels, c.mel_frames)
        return clip, mel, i % self.k


# --------------------------------------------------------------------- loop
def run_epoch(model: nn.Module, loader: DataLoader, device: torch.device,
              optimizer: Optional[torch.optim.Optimizer] = None) -> Dict[str, float]:
    """One pass over ``loader``; trains when an optimizer is given, else evaluates."""
    training = optimizer is not None
    model.train(mode=training)
    total_loss, correct, seen = 0.0, 0, 0
    with torch.set_grad_enabled(training):
        for clip, mel, y in loader:
            clip, mel, y = clip.to(device), mel.to(device), y.to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16):
                logits = model(clip, mel)
                loss = F.cross_entropy(logits, y)
            if training:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            total_loss += loss.item() * y.size(0)
            correct += (logits.argmax(1) == y).sum().item()
            seen += y.size(0)
    return {"loss": total_loss / max(seen, 1), "acc": correct / max(seen, 1)}


def strip_module_prefix(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    p = argparse.ArgumentParser()
    p.add_argument("--config", default=None)
    args = p.parse_args()
    raw = json.load(open(args.config)) if args.config else {}
    cfg = ExperimentConfig.from_dict(raw)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_ds = SyntheticAV(cfg.data.num_train, cfg.data, cfg.num_classes)
    val_ds = SyntheticAV(cfg.data.num_val, cfg.data, cfg.num_classes)
    train_loader = DataLoader(train_ds, batch_size=cfg.data.batch_size, shuffle=True,
                              num_workers=cfg.data.workers, drop_last=True, pin_memory=True)
    val_loader = DataLoader(val_ds, batch_size=cfg.data.batch_size, num_workers=cfg.data.workers)

    model = AVClassifier(cfg.num_classes, n_mels=cfg.data.n_mels).to(device)
    o = cfg.optim
    optimizer = torch.optim.SGD(model.parameters(), lr=o.lr, momentum=o.momentum,
                                weight_decay=o.weight_decay)
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=o.warmup_epochs)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=o.epochs - o.warmup_epochs)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine], [o.warmup_epochs])

    start = 0
    if cfg.resume:
        ckpt = torch.load(cfg.resume, map_location="cpu")
        model.load_state_dict(strip_module_prefix(ckpt["model"]))
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        start = ckpt["epoch"] + 1

    os.makedirs(cfg.out_dir, exist_ok=True)
    for epoch in range(start, o.epochs):
        train_stats = run_epoch(model, train_loader, device, optimizer)
        val_stats = run_epoch(model, val_loader, device)
        scheduler.step()
        log.info("epoch %d train %s val %s", epoch, train_stats, val_stats)
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": epoch, "config": asdict(cfg)},
                   os.path.join(cfg.out_dir, f"{cfg.name}_last.pt"))


if __name__ == "__main__":
    main()
