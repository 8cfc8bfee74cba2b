"""
High-resolution building footprint segmentation, DDP with 2 images per GPU.

With only 2 crops of 1024x1024 per GPU, BatchNorm statistics would be useless,
so every normalisation layer is GroupNorm (Wu & He, 2018). Gradients are
accumulated over 8 micro-batches.

    torchrun --nproc_per_node=4 train_gn.py
"""
import argparse
import os
from functools import partial

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

GN = partial(nn.GroupNorm, 32)


class TileDataset(Dataset):
    def __init__(self, index_file):
        with open(index_file) as f:
            self.pairs = [line.strip().split(",") for line in f if line.strip()]

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        img_path, mask_path = self.pairs[i]
        return torch.load(img_path), torch.load(mask_path)


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride=1, norm_layer=GN):
        super().__init__()
        cout = width * 4
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = norm_layer(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = norm_layer(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = norm_layer(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), norm_layer(cout))

    def forward(self, x):
        idt = x if self.down is None else self.down(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        return F.relu(self.bn3(self.conv3(out)) + idt)


class FPNSeg(nn.Module):
    def __init__(self, num_classes=2, norm_layer=GN):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3), nn.GroupNorm(32, 64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        self.c2 = Bottleneck(64, 64, 1, norm_layer)
        self.c3 = Bottleneck(256, 128, 2, norm_layer)
        self.c4 = Bottleneck(512, 256, 2, norm_layer)
        self.lat = nn.ModuleList([nn.Conv2d(c, 256, 1) for c in (256, 512, 1024)])
        self.smooth = nn.Sequential(nn.Conv2d(256, 128, 3, padding=1), nn.GroupNorm(16, 128), nn.ReLU(inplace=True))
        self.cls = nn.Conv2d(128, num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        c2 = self.c2(self.stem(x))
        c3 = self.c3(c2)
        c4 = self.c4(c3)
        p4 = self.lat[2](c4)
        p3 = self.lat[1](c3) + F.interpolate(p4, size=c3.shape[-2:], mode="nearest")
        p2 = self.lat[0](c2) + F.interpolate(p3, size=c2.shape[-2:], mode="nearest")
        return F.interpolate(self.cls(self.smooth(p2)), size=size, mode="bilinear", align_corners=False)


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-index", default="splits/train.txt")
    ap.add_argument("--val-index", default="splits/val.txt")
    ap.add_argument("--batch-size", type=int, default=2, help="images per GPU")
    ap.add_argument("--accum", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--out", default="runs/gn_fpn")
    return ap.parse_args()


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    inter = torch.zeros(1, device=device)
    union = torch.zeros(1, device=device)
    for img, mask in loader:
        img, mask = img.to(device), mask.to(device)
        pred = model(img).argmax(1)
        inter += ((pred == 1) & (mask == 1)).sum()
        union += ((pred == 1) | (mask == 1)).sum()
    dist.all_reduce(inter)
    dist.all_reduce(union)
    return (inter / union.clamp(min=1)).item()


def main():
    args = parse()
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    rank = dist.get_rank()

    train_ds, val_ds = TileDataset(args.train_index), TileDataset(args.val_index)
    train_sampler = DistributedSampler(train_ds)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=train_sampler, num_workers=4, pin_memory=True)
    val_loader = DataLoader(val_ds, batch_size=args.batch_size, sampler=DistributedSampler(val_ds, shuffle=False), num_workers=4)

    model = DDP(FPNSeg().to(device), device_ids=[local_rank])
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        optimizer.zero_grad(set_to_none=True)
        for step, (img, mask) in enumerate(train_loader):
            img, mask = img.to(device, non_blocking=True), mask.to(device, non_blocking=True)
            last_micro = (step + 1) % args.accum == 0
            ctx = model.no_sync() if not last_micro else torch.enable_grad()
            with ctx:
                with torch.autocast("cuda", dtype=torch.float16):
                    loss = F.cross_entropy(model(img), mask) / args.accum
                scaler.scale(loss).backward()
            if last_micro:
                scaler.step(optimizer)
                scaler.update()
                optimizer.zero_grad(set_to_none=True)

        iou = evaluate(model, val_loader, device)
        if rank == 0:
            print(f"epoch {epoch}: building IoU {iou:.4f}")
            os.makedirs(args.out, exist_ok=True)
            torch.save(model.module.state_dict(), os.path.join(args.out, "last.pt"))

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
