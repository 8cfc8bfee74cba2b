"""Distributed training of an R(2+1)D-18 action recognition model on Kinetics clips.

    torchrun --nproc_per_node=8 train_r2plus1d.py --data /datasets/kinetics400 --batch-size 16
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from video_data import KineticsClips  # repo-local


class Conv2Plus1D(nn.Sequential):
    """Factorised (1 x 3 x 3) spatial + (3 x 1 x 1) temporal conv with a BN in between."""

    def __init__(self, in_planes, out_planes, stride=1):
        midplanes = (in_planes * out_planes * 3 * 3 * 3) // (in_planes * 3 * 3 + 3 * out_planes)
        super().__init__(
            nn.Conv3d(in_planes, midplanes, (1, 3, 3), stride=(1, stride, stride), padding=(0, 1, 1), bias=False),
            nn.BatchNorm3d(midplanes),
            nn.ReLU(inplace=True),
            nn.Conv3d(midplanes, out_planes, (3, 1, 1), stride=(stride, 1, 1), padding=(1, 0, 0), bias=False),
        )


class Block(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Sequential(Conv2Plus1D(in_planes, planes, stride), nn.BatchNorm3d(planes), nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(Conv2Plus1D(planes, planes), nn.BatchNorm3d(planes))
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv3d(in_planes, planes, 1, stride=stride, bias=False),
                                            nn.BatchNorm3d(planes))

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv2(self.conv1(x)) + residual, inplace=True)


class R2Plus1D(nn.Module):
    def __init__(self, num_classes=400, layers=(2, 2, 2, 2)):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(3, 45, (1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False),
            nn.BatchNorm3d(45),
            nn.ReLU(inplace=True),
            nn.Conv3d(45, 64, (3, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True),
        )
        stages, in_planes = [], 64
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            blocks = [Block(in_planes, planes, stride)] + [Block(planes, planes) for _ in range(n - 1)]
            stages.append(nn.Sequential(*blocks))
            in_planes = planes
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, clip):
        x = self.stages(self.stem(clip))
        return self.fc(self.pool(x).flatten(1))


def setup_distributed():
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return local_rank, dist.get_rank(), dist.get_world_size()


def train_one_epoch(model, loader, optimizer, scaler, epoch, rank):
    model.train()
    loader.sampler.set_epoch(epoch)
    for step, (clips, labels) in enumerate(loader):
        clips, labels = clips.cuda(non_blocking=True), labels.cuda(non_blocking=True)
        with torch.autocast("cuda", dtype=torch.float16):
            loss = F.cross_entropy(model(clips), labels)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if rank == 0 and step % 50 == 0:
            print(f"epoch {epoch} step {step} loss {loss.item():.4f}")


@torch.no_grad()
def validate(model, loader):
    model.eval()
    stats = torch.zeros(2, device="cuda")
    for clips, labels in loader:
        clips, labels = clips.cuda(non_blocking=True), labels.cuda(non_blocking=True)
        with torch.autocast("cuda", dtype=torch.float16):
            logits = model(clips)
        stats[0] += (logits.argmax(1) == labels).sum()
        stats[1] += labels.numel()
    dist.all_reduce(stats)
    return (stats[0] / stats[1]).item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--batch-size", type=int, default=16, help="clips per GPU")
    parser.add_argument("--epochs", type=int, default=45)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--resume", default=None)
    args = parser.parse_args()

    local_rank, rank, world = setup_distributed()
    model = R2Plus1D(num_classes=400)
    if args.resume:
        state = torch.load(args.resume, map_location="cpu")
        model.load_state_dict(state["model"])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.cuda(local_rank)
    model = DDP(model, device_ids=[local_rank])

    train_set = KineticsClips(args.data, "train", frames=16, size=112)
    val_set = KineticsClips(args.data, "val", frames=16, size=112)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=DistributedSampler(train_set),
                              num_workers=10, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=args.batch_size,
                            sampler=DistributedSampler(val_set, shuffle=False), num_workers=10)

    lr = args.lr * world * args.batch_size / 64
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[20, 30, 40], gamma=0.1)
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(args.epochs):
        train_one_epoch(model, train_loader, optimizer, scaler, epoch, rank)
        scheduler.step()
        acc = validate(model, val_loader)
        if rank == 0:
            print(f"epoch {epoch}: clip acc {acc:.4f}")
            torch.save({"model": model.module.state_dict(), "epoch": epoch}, f"r2plus1d_e{epoch}.pth")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
