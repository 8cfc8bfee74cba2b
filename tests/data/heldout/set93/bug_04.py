"""Distributed transfer learning: pretrained backbone, new classification head.

    torchrun --nproc_per_node=4 bug_04.py --pretrained backbone.pth --epochs 20

Only the head is optimised; the backbone is kept as a fixed feature extractor.
"""
from __future__ import annotations

import argparse
import logging
import os
from typing import Dict, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset, DistributedSampler

log = logging.getLogger("transfer")


# --------------------------------------------------------------------- model
class BasicBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.proj = None
        if stride != 1 or in_ch != out_ch:
            self.proj = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x):
        skip = x if self.proj is None else self.proj(x)
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        return F.relu(self.bn2(self.conv2(out)) + skip, inplace=True)


class Backbone(nn.Module):
    def __init__(self, widths=(64, 128, 256, 512)) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 7, 2, 3, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        stages, in_ch = [], widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            stages.append(nn.Sequential(BasicBlock(in_ch, w, stride), BasicBlock(w, w)))
            in_ch = w
        self.stages = nn.Sequential(*stages)
        self.out_dim = in_ch

    def forward(self, x):
        return F.adaptive_avg_pool2d(self.stages(self.stem(x)), 1).flatten(1)


class TransferModel(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.backbone = Backbone()
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.backbone.out_dim, num_classes))

    def forward(self, x):
        return self.head(self.backbone(x))


def load_pretrained_backbone(model: TransferModel, path: str) -> None:
    state = torch.load(path, map_location="cpu")
    state = {k[len("backbone."):]: v for k, v in state.items() if k.startswith("backbone.")}
    model.backbone.load_state_dict(state)


def freeze_backbone(model: TransferModel) -> None:
    for p in model.backbone.parameters():
        p.requires_grad = False  # expect: BN105


# ---------------------------------------------------------------------- data
class FolderLikeDataset(Dataset):
    def __init__(self, n: int, num_classes: int, size: int = 224) -> None:
        self.n, self.k, self.size = n, num_classes, size

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return torch.randn(3, self.size, self.size, generator=g), i % self.k


# --------------------------------------------------------------- distributed
def init_distributed() -> Tuple[int, int, int]:
    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return rank, world, local_rank


def all_reduce_mean(value: float, device) -> float:
    t = torch.tensor([value], device=device)
    dist.all_reduce(t)
    return (t / dist.get_world_size()).item()


def train_one_epoch(model, loader, optimizer, device) -> float:
    model.train()
    total, n = 0.0, 0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() * x.size(0)
        n += x.size(0)
    return all_reduce_mean(total / max(n, 1), device)


@torch.no_grad()
def evaluate(model, loader, device) -> Dict[str, float]:
    model.eval()
    correct = torch.zeros(1, device=device)
    count = torch.zeros(1, device=device)
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        correct += (model(x).argmax(1) == y).sum()
        count += y.numel()
    dist.all_reduce(correct)
    dist.all_reduce(count)
    return {"acc": (correct / count).item()}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pretrained", default=None)
    p.add_argument("--num-classes", type=int, default=37)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64, help="per GPU")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--out", default="transfer_ckpt.pt")
    args = p.parse_args()

    rank, world, local_rank = init_distributed()
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING)
    device = torch.device("cuda", local_rank)

    train_set = FolderLikeDataset(7_400, args.num_classes)
    val_set = FolderLikeDataset(1_800, args.num_classes)
    train_sampler = DistributedSampler(train_set, shuffle=True)
    val_sampler = DistributedSampler(val_set, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=train_sampler,
                              num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=128, sampler=val_sampler, num_workers=8)

    model = TransferModel(args.num_classes)
    if args.pretrained:
        load_pretrained_backbone(model, args.pretrained)
    freeze_backbone(model)
    model = model.to(device)
    model = DDP(model, device_ids=[local_rank], find_unused_parameters=False)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=args.lr * world, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    best = 0.0
    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        loss = train_one_epoch(model, train_loader, optimizer, device)
        metrics = evaluate(model, val_loader, device)
        scheduler.step()
        if rank == 0:
            log.info("epoch %d loss %.4f %s", epoch, loss, metrics)
            if metrics["acc"] > best:
                best = metrics["acc"]
                torch.save(model.module.state_dict(), args.out)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
