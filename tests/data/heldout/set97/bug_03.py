"""3D brain-MRI tumour classification, DDP via torchrun.

    torchrun --standalone --nproc_per_node=4 bug_03.py
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

log = logging.getLogger("mri3d")


@dataclass
class Config:
    data_root: Path = Path("/data/brats_npz")
    epochs: int = 120
    batch_size: int = 4  # per GPU; 128^3 volumes do not fit more
    lr: float = 3e-4
    weight_decay: float = 1e-5
    num_workers: int = 6
    base_width: int = 32
    num_classes: int = 3
    ckpt_dir: Path = Path("checkpoints/mri3d")


class VolumeDataset(Dataset):
    def __init__(self, root: Path, split: str) -> None:
        self.files = sorted((root / split).glob("*.npz"))

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, int]:
        with np.load(self.files[idx]) as f:
            vol = torch.from_numpy(f["volume"]).float()  # (4, D, H, W)
            label = int(f["label"])
        vol = (vol - vol.mean()) / (vol.std() + 1e-6)
        return vol, label


class ConvBlock3d(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv3d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn = nn.BatchNorm3d(out_ch)
        self.act = nn.LeakyReLU(0.01, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class Classifier3d(nn.Module):
    def __init__(self, in_ch: int = 4, width: int = 32, num_classes: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            ConvBlock3d(in_ch, width),
            ConvBlock3d(width, width * 2, stride=2),
            ConvBlock3d(width * 2, width * 4, stride=2),
            ConvBlock3d(width * 4, width * 8, stride=2),
        )
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(width * 8, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.features(x)).flatten(1))


@torch.no_grad()
def validate(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
    model.eval()
    correct = torch.zeros((), device=device)
    seen = torch.zeros((), device=device)
    for vol, label in loader:
        vol, label = vol.to(device), label.to(device)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            pred = model(vol).argmax(dim=1)
        correct += (pred == label).sum()
        seen += label.numel()
    dist.all_reduce(correct)
    dist.all_reduce(seen)
    return (correct / seen).item()


def main() -> None:
    cfg = Config()
    local_rank = int(os.environ["LOCAL_RANK"])
    dist.init_process_group("nccl")
    torch.cuda.set_device(local_rank)
    device = torch.device(f"cuda:{local_rank}")
    rank0 = dist.get_rank() == 0

    train_ds = VolumeDataset(cfg.data_root, "train")
    val_ds = VolumeDataset(cfg.data_root, "val")
    train_sampler = DistributedSampler(train_ds, shuffle=True, seed=1234)
    val_sampler = DistributedSampler(val_ds, shuffle=False)
    train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, sampler=train_sampler, num_workers=cfg.num_workers, pin_memory=True, drop_last=True)  # expect: BN304
    val_loader = DataLoader(val_ds, batch_size=8, sampler=val_sampler, num_workers=2)

    model = Classifier3d(width=cfg.base_width, num_classes=cfg.num_classes).to(device)
    model = DDP(model, device_ids=[local_rank])
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)

    cfg.ckpt_dir.mkdir(parents=True, exist_ok=True)
    best = 0.0
    model.train()
    for epoch in range(cfg.epochs):
        train_sampler.set_epoch(epoch)
        epoch_loss = torch.zeros((), device=device)
        for vol, label in train_loader:
            vol = vol.to(device, non_blocking=True)
            label = label.to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(vol), label)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            epoch_loss += loss.detach()
        scheduler.step()

        acc = validate(model, val_loader, device)  # expect: BN103
        dist.all_reduce(epoch_loss, op=dist.ReduceOp.AVG)
        if rank0:
            log.info("epoch %03d loss %.4f val_acc %.4f", epoch, epoch_loss.item() / len(train_loader), acc)
            if acc > best:
                best = acc
                torch.save(model.module.state_dict(), cfg.ckpt_dir / "best.pt")

    dist.destroy_process_group()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
