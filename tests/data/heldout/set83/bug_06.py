# Multi-GPU training of a 3-D U-Net for MSD Task07 (pancreas + tumour).
# launch:  torchrun --nproc_per_node=4 train_pancreas_ddp.py --data /data/Task07_Pancreas
import argparse
import json
import os

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from monai.data import CacheDataset
from monai.transforms import (Compose, CropForegroundd, EnsureChannelFirstd, LoadImaged, Orientationd,
                              RandCropByPosNegLabeld, RandFlipd, ScaleIntensityRanged, Spacingd)


def unet_block(cin, cout):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.LeakyReLU(0.01, inplace=True),
        nn.Conv3d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.LeakyReLU(0.01, inplace=True),
    )


class UNet3D(nn.Module):
    def __init__(self, cin=1, ncls=3, feats=(16, 32, 64, 128, 256)):
        super().__init__()
        self.enc = nn.ModuleList()
        c = cin
        for f in feats:
            self.enc.append(unet_block(c, f))
            c = f
        self.up = nn.ModuleList([nn.ConvTranspose3d(feats[i + 1], feats[i], 2, 2) for i in reversed(range(len(feats) - 1))])
        self.dec = nn.ModuleList([unet_block(feats[i] * 2, feats[i]) for i in reversed(range(len(feats) - 1))])
        self.out = nn.Conv3d(feats[0], ncls, 1)

    def forward(self, x):
        skips = []
        for i, blk in enumerate(self.enc):
            x = blk(x)
            if i < len(self.enc) - 1:
                skips.append(x)
                x = F.max_pool3d(x, 2)
        for up, dec in zip(self.up, self.dec):
            x = dec(torch.cat([up(x), skips.pop()], 1))
        return self.out(x)


def transforms(train):
    t = [LoadImaged(keys=["image", "label"]), EnsureChannelFirstd(keys=["image", "label"]),
         Orientationd(keys=["image", "label"], axcodes="RAS"),
         Spacingd(keys=["image", "label"], pixdim=(1.0, 1.0, 1.5), mode=("bilinear", "nearest")),
         ScaleIntensityRanged(keys="image", a_min=-96, a_max=215, b_min=0.0, b_max=1.0, clip=True),
         CropForegroundd(keys=["image", "label"], source_key="image")]
    if train:
        t += [RandCropByPosNegLabeld(keys=["image", "label"], label_key="label", spatial_size=(96, 96, 64),
                                     pos=2, neg=1, num_samples=1),
              RandFlipd(keys=["image", "label"], prob=0.5, spatial_axis=0)]
    return Compose(t)


def dice(pred, gt, c):
    p, g = pred == c, gt == c
    s = p.sum() + g.sum()
    return 1.0 if s == 0 else float(2 * (p & g).sum() / s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/data/Task07_Pancreas")
    ap.add_argument("--batch-size", type=int, default=8, help="per GPU")
    ap.add_argument("--epochs", type=int, default=400)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--out", default="ckpt_pancreas")
    args = ap.parse_args()

    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    with open(os.path.join(args.data, "dataset_split.json")) as f:
        split = json.load(f)
    train_ds = CacheDataset(split["training"], transforms(True), cache_rate=0.5, num_workers=8)
    test_ds = CacheDataset(split["test"], transforms(False), cache_rate=0.0)
    sampler = DistributedSampler(train_ds, num_replicas=world, rank=rank, shuffle=True)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=sampler, num_workers=4, pin_memory=True)

    model = UNet3D().to(device)
    model = DDP(model, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr * world, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor([0.5, 1.0, 2.0], device=device))

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        tot = torch.zeros(1, device=device)
        for batch in train_loader:
            x, y = batch["image"].to(device), batch["label"].to(device).long().squeeze(1)
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += loss.detach()
        dist.all_reduce(tot)
        if rank == 0:
            print(f"epoch {epoch} mean loss {tot.item() / (world * len(train_loader)):.4f}")
            if (epoch + 1) % 50 == 0:
                os.makedirs(args.out, exist_ok=True)
                torch.save(model.module.state_dict(), os.path.join(args.out, f"ep{epoch + 1}.pt"))

    if rank == 0:
        # final test on the held-out cases, one full volume at a time
        net = UNet3D().to(device)
        net.load_state_dict(torch.load(os.path.join(args.out, f"ep{args.epochs}.pt"), map_location=device))
        scores = []
        with torch.no_grad():
            for item in test_ds:
                x = item["image"][None].to(device)
                pad = [(-s) % 16 for s in x.shape[:1:-1]]
                xp = F.pad(x, [v for p in pad for v in (0, p)])
                logits = net(xp)  # expect: BN101
                pred = logits[..., :x.shape[2], :x.shape[3], :x.shape[4]].argmax(1).cpu()
                gt = item["label"].long()
                scores.append([dice(pred, gt, 1), dice(pred, gt, 2)])
        print("test dice pancreas %.4f tumour %.4f" % tuple(np.mean(scores, 0)))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
