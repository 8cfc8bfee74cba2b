#!/usr/bin/env python
# Multi-GPU training of a small residual segmenter for satellite tiles.
# launch: torchrun --nproc_per_node=4 bug_07.py --data /mnt/tiles
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from tiles import TileDataset   # project-local dataset (GeoTIFF tiles + masks)


class ResBlock(nn.Module):
    def __init__(self, planes, dilation=1):
        super().__init__()
        self.conv1 = nn.Conv2d(planes, planes, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, 0.9)  # expect: BN206
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(x + self.bn2(self.conv2(out)))


class Segmenter(nn.Module):
    def __init__(self, in_ch=4, n_classes=6, width=96):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_ch, width, 3, 2, 1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(*[ResBlock(width, d) for d in (1, 2, 4, 8, 1)])
        self.cls = nn.Conv2d(width, n_classes, 1)

    def forward(self, x):
        h, w = x.shape[-2:]
        y = self.cls(self.blocks(self.stem(x)))
        return F.interpolate(y, size=(h, w), mode="bilinear", align_corners=False)


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--lr", type=float, default=0.01)
    return ap.parse_args()


def main():
    args = parse()
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    model = Segmenter().to(device)
    model = DistributedDataParallel(model, device_ids=[local_rank], output_device=local_rank)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    train_ds = TileDataset(os.path.join(args.data, "train"), augment=True)
    sampler = DistributedSampler(train_ds, shuffle=True)
    loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=sampler,
                        num_workers=6, pin_memory=True, drop_last=True)

    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for img, mask in loader:
            img, mask = img.to(device, non_blocking=True), mask.to(device, non_blocking=True)
            loss = F.cross_entropy(model(img), mask, ignore_index=255)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if dist.get_rank() == 0:
            print(f"epoch {epoch} loss {loss.item():.4f}")
            torch.save(model.module.state_dict(), f"seg_{epoch:03d}.pt")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
