"""Distributed semantic segmentation training (launch with torchrun).

    torchrun --nproc_per_node=8 bug_02.py --data-root /datasets/cityscapes
"""
from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Callable

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler
from torchvision import tv_tensors
from torchvision.io import ImageReadMode, read_image
from torchvision.transforms import v2

log = logging.getLogger("seg_ddp")

NUM_CLASSES = 19
IGNORE_INDEX = 255


class CityscapesLike(Dataset):
    def __init__(self, root: Path, split: str, transform: Callable) -> None:
        self.images = sorted((root / "leftImg8bit" / split).rglob("*_leftImg8bit.png"))
        self.masks = [
            Path(str(p).replace("leftImg8bit", "gtFine").replace(".png", "_labelTrainIds.png"))
            for p in self.images
        ]
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = tv_tensors.Image(read_image(str(self.images[idx]), ImageReadMode.RGB))
        mask = tv_tensors.Mask(read_image(str(self.masks[idx]))[0])
        image, mask = self.transform(image, mask)
        return image, mask.long()


def conv_bn_relu(in_ch: int, out_ch: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=dilation, dilation=dilation),  # expect: BN204
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class SegNet(nn.Module):
    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.enc1 = nn.Sequential(conv_bn_relu(3, 32, stride=2), conv_bn_relu(32, 32))
        self.enc2 = nn.Sequential(conv_bn_relu(32, 64, stride=2), conv_bn_relu(64, 64))
        self.enc3 = nn.Sequential(conv_bn_relu(64, 128, stride=2), conv_bn_relu(128, 128))
        self.context = nn.ModuleList([conv_bn_relu(128, 64, dilation=d) for d in (1, 6, 12)])
        self.fuse = nn.Sequential(
            nn.Conv2d(64 * 3, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Conv2d(128, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        feats = self.enc3(self.enc2(self.enc1(x)))
        feats = self.fuse(torch.cat([branch(feats) for branch in self.context], dim=1))
        return F.interpolate(self.classifier(feats), size=size, mode="bilinear", align_corners=False)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--data-root", type=Path, required=True)
    p.add_argument("--batch-size", type=int, default=16, help="per GPU")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--crop", type=int, default=768)
    return p.parse_args()


@torch.inference_mode()
def evaluate(model: nn.Module, loader: DataLoader, device: torch.device) -> float:
    model.eval()
    hist = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.long, device=device)
    for image, mask in loader:
        image, mask = image.to(device), mask.to(device)
        pred = model(image).argmax(dim=1)
        valid = mask != IGNORE_INDEX
        hist += torch.bincount(
            mask[valid] * NUM_CLASSES + pred[valid], minlength=NUM_CLASSES**2
        ).view(NUM_CLASSES, NUM_CLASSES)
    dist.all_reduce(hist)
    iou = hist.diag() / (hist.sum(0) + hist.sum(1) - hist.diag()).clamp(min=1)
    return iou.mean().item()


def main() -> None:
    args = parse_args()
    local_rank = int(os.environ["LOCAL_RANK"])
    dist.init_process_group(backend="nccl")
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    is_main = dist.get_rank() == 0

    train_tf = v2.Compose([
        v2.RandomResizedCrop(args.crop, scale=(0.5, 2.0), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.ColorJitter(0.2, 0.2, 0.2),
        v2.ToDtype({tv_tensors.Image: torch.float32, "others": None}, scale=True),
        v2.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    val_tf = v2.Compose([
        v2.ToDtype({tv_tensors.Image: torch.float32, "others": None}, scale=True),
        v2.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    train_set = CityscapesLike(args.data_root, "train", train_tf)
    val_set = CityscapesLike(args.data_root, "val", val_tf)
    train_sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    val_sampler = DistributedSampler(val_set, shuffle=False)
    train_loader = DataLoader(
        train_set, batch_size=args.batch_size, sampler=train_sampler,
        num_workers=8, pin_memory=True, drop_last=True,
    )
    val_loader = DataLoader(val_set, batch_size=4, sampler=val_sampler, num_workers=4)

    model = SegNet().to(device, memory_format=torch.channels_last)
    model = DDP(model, device_ids=[local_rank], output_device=local_rank)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    total_steps = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=total_steps, power=0.9)
    scaler = torch.amp.GradScaler("cuda")

    for epoch in range(args.epochs):
        model.train()
        train_sampler.set_epoch(epoch)
        for image, mask in train_loader:
            image = image.to(device, non_blocking=True, memory_format=torch.channels_last)
            mask = mask.to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.cross_entropy(model(image), mask, ignore_index=IGNORE_INDEX)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
        if (epoch + 1) % 10 == 0:
            miou = evaluate(model, val_loader, device)
            if is_main:
                log.info("epoch %d mIoU %.4f", epoch, miou)
                torch.save(model.module.state_dict(), f"segnet_e{epoch:03d}.pt")

    dist.destroy_process_group()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
