"""Distributed training of the residual 3D U-Net on abdominal CT.

    torchrun --nproc_per_node 8 train.py
"""
from __future__ import annotations

import glob
import os

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

from nets import build_unet3d

CFG = {
    "model": {"in_channels": 1, "num_classes": 14, "base": 24, "depth": 4, "deep_supervision": True},
    "data_root": "/data/btcv/preprocessed",
    "patch_size": (64, 64, 64),
    "batch_size": 16,
    "epochs": 300,
    "lr": 3e-4,
    "freeze_encoder_epochs": 10,
    "pretrained": "/models/ssl/unet3d_encoder.pt",
    "val_every": 10,
    "out": "/checkpoints/unet3d_btcv",
}


class PatchDataset(Dataset):
    def __init__(self, root: str, patch, samples_per_case: int = 4):
        self.cases = sorted(glob.glob(os.path.join(root, "train", "*.npz")))
        self.patch = patch
        self.samples_per_case = samples_per_case

    def __len__(self) -> int:
        return len(self.cases) * self.samples_per_case

    def __getitem__(self, idx: int):
        data = np.load(self.cases[idx // self.samples_per_case])
        img, seg = data["image"], data["label"]
        starts = [np.random.randint(0, max(s - p, 0) + 1) for s, p in zip(img.shape, self.patch)]
        sl = tuple(slice(s, s + p) for s, p in zip(starts, self.patch))
        return torch.from_numpy(img[sl][None].astype(np.float32)), torch.from_numpy(seg[sl].astype(np.int64))


class VolumeDataset(Dataset):
    def __init__(self, root: str):
        self.cases = sorted(glob.glob(os.path.join(root, "val", "*.npz")))

    def __len__(self) -> int:
        return len(self.cases)

    def __getitem__(self, idx: int):
        data = np.load(self.cases[idx])
        return torch.from_numpy(data["image"][None].astype(np.float32)), torch.from_numpy(data["label"].astype(np.int64))


def dice_ce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    ce = F.cross_entropy(logits, target)
    probs = logits.softmax(1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 4, 1, 2, 3).float()
    inter = (probs * onehot).sum((2, 3, 4))
    denom = probs.sum((2, 3, 4)) + onehot.sum((2, 3, 4))
    return ce + (1 - (2 * inter + 1e-5) / (denom + 1e-5)).mean()


def validate(net: nn.Module, loader: DataLoader, device: torch.device) -> float:
    net.eval()
    scores = []
    with torch.no_grad():
        for img, seg in loader:
            pred = net(img.to(device)).argmax(1).cpu()
            for c in range(1, CFG["model"]["num_classes"]):
                p, t = pred == c, seg == c
                if t.any():
                    scores.append((2 * (p & t).sum() / (p.sum() + t.sum())).item())
    net.train()
    return float(np.mean(scores)) if scores else 0.0


def main() -> None:
    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    net = build_unet3d(CFG["model"])
    if CFG["pretrained"] and os.path.exists(CFG["pretrained"]):
        enc_state = torch.load(CFG["pretrained"], map_location="cpu")
        net.encoder.load_state_dict(enc_state, strict=False)
    if CFG["freeze_encoder_epochs"] > 0:
        net.encoder.requires_grad_(False)  # expect: BN105
    net = net.to(device)
    model = DDP(net, device_ids=[local_rank], find_unused_parameters=True)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    train_ds = PatchDataset(CFG["data_root"], CFG["patch_size"])
    sampler = DistributedSampler(train_ds, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=CFG["batch_size"], sampler=sampler, num_workers=6, pin_memory=True, drop_last=True)
    val_loader = DataLoader(VolumeDataset(CFG["data_root"]), batch_size=1, num_workers=2)

    optimizer = torch.optim.AdamW(model.parameters(), lr=CFG["lr"], weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=CFG["epochs"])
    os.makedirs(CFG["out"], exist_ok=True)

    for epoch in range(CFG["epochs"]):
        if epoch == CFG["freeze_encoder_epochs"]:
            net.encoder.requires_grad_(True)
        sampler.set_epoch(epoch)
        model.train()
        for img, seg in train_loader:
            img, seg = img.to(device, non_blocking=True), seg.to(device, non_blocking=True)
            logits, aux = model(img)
            loss = dice_ce_loss(logits, seg)
            for i, a in enumerate(aux):
                small = F.interpolate(seg[:, None].float(), size=a.shape[2:], mode="nearest")[:, 0].long()
                loss = loss + 0.5 ** (i + 1) * dice_ce_loss(a, small)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()
        if rank == 0 and (epoch + 1) % CFG["val_every"] == 0:
            dice = validate(model.module, val_loader, device)
            print(f"epoch {epoch + 1}: mean dice {dice:.4f}")
            torch.save({"model": model.module.state_dict(), "epoch": epoch},
                       os.path.join(CFG["out"], f"epoch_{epoch + 1:03d}.pt"))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
