"""Multi-GPU training of a U-Net for building-footprint segmentation (SpaceNet tiles).

    torchrun --nproc_per_node=4 train_unet_ddp.py --data /data/spacenet --sync-bn
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

from spacenet import SpaceNetTiles  # repo-local


def double_conv(in_ch, out_ch):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, in_ch=3, base=32, depth=4):
        super().__init__()
        chs = [base * 2 ** i for i in range(depth + 1)]
        self.inc = double_conv(in_ch, chs[0])
        self.downs = nn.ModuleList([double_conv(chs[i], chs[i + 1]) for i in range(depth)])
        self.ups = nn.ModuleList([nn.ConvTranspose2d(chs[i + 1], chs[i], 2, stride=2) for i in reversed(range(depth))])
        self.dec = nn.ModuleList([double_conv(chs[i] * 2, chs[i]) for i in reversed(range(depth))])
        self.out = nn.Conv2d(chs[0], 1, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(F.max_pool2d(skips[-1], 2)))
        h = skips.pop()
        for up, dec in zip(self.ups, self.dec):
            h = dec(torch.cat([up(h), skips.pop()], dim=1))
        return self.out(h)


def dice_bce(logits, target):
    bce = F.binary_cross_entropy_with_logits(logits, target)
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum(dim=(1, 2, 3))
    dice = 1 - (2 * inter + 1) / (prob.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3)) + 1)
    return bce + dice.mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--batch-size", type=int, default=16, help="tiles per GPU")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--sync-bn", action="store_true")
    args = parser.parse_args()

    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    rank = dist.get_rank()
    torch.cuda.set_device(local_rank)

    model = UNet().cuda(local_rank)
    model = DDP(model, device_ids=[local_rank])
    if args.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    train_set = SpaceNetTiles(args.data, split="train", augment=True)
    val_set = SpaceNetTiles(args.data, split="val", augment=False)
    train_sampler = DistributedSampler(train_set, shuffle=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=train_sampler,
                              num_workers=8, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=args.batch_size, sampler=DistributedSampler(val_set, shuffle=False),
                            num_workers=4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    scaler = torch.cuda.amp.GradScaler()

    model.train()
    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        for images, masks in train_loader:
            images, masks = images.cuda(non_blocking=True), masks.cuda(non_blocking=True)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = dice_bce(model(images), masks)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        scheduler.step()

        model.eval()  # expect: BN103
        stats = torch.zeros(3, device="cuda")
        with torch.no_grad():
            for images, masks in val_loader:
                pred = (model(images.cuda()) > 0).float()
                masks = masks.cuda()
                stats[0] += (pred * masks).sum()
                stats[1] += pred.sum() + masks.sum()
                stats[2] += masks.numel()
        dist.all_reduce(stats)
        if rank == 0:
            dice = (2 * stats[0] / stats[1].clamp(min=1)).item()
            print(f"epoch {epoch}: train loss {loss.item():.4f} val dice {dice:.4f}")
            torch.save(model.module.state_dict(), "unet_spacenet.pth")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
