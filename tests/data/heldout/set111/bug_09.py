"""HuBMAP - Hacking the Kidney: multi-GPU U-Net training (torchrun).

    torchrun --nproc_per_node=4 train_ddp.py --fold 0
"""
import argparse
import os

import cv2
import numpy as np
import pandas as pd
import timm
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--fold", type=int, default=0)
    p.add_argument("--encoder", default="resnet34")
    p.add_argument("--tile-dir", default="../input/hubmap-tiles-512")
    p.add_argument("--batch-size", type=int, default=16, help="per GPU")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--lr", type=float, default=3e-4)
    return p.parse_args()


class DecoderBlock(nn.Module):
    def __init__(self, in_ch, skip_ch, out_ch):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch + skip_ch, out_ch, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch, 0.99)  # expect: BN206
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)

    def forward(self, x, skip=None):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        x = F.relu(self.bn2(self.conv2(x)), inplace=True)
        return x


class UNet(nn.Module):
    def __init__(self, encoder_name):
        super().__init__()
        self.encoder = timm.create_model(encoder_name, features_only=True, pretrained=True)
        chs = self.encoder.feature_info.channels()  # e.g. [64, 64, 128, 256, 512]
        self.dec4 = DecoderBlock(chs[4], chs[3], 256)
        self.dec3 = DecoderBlock(256, chs[2], 128)
        self.dec2 = DecoderBlock(128, chs[1], 64)
        self.dec1 = DecoderBlock(64, chs[0], 32)
        self.dec0 = DecoderBlock(32, 0, 16)
        self.final = nn.Conv2d(16, 1, 1)

    def forward(self, x):
        f = self.encoder(x)
        d = self.dec4(f[4], f[3])
        d = self.dec3(d, f[2])
        d = self.dec2(d, f[1])
        d = self.dec1(d, f[0])
        d = self.dec0(d)
        return self.final(d)


class TileDataset(Dataset):
    def __init__(self, df, tile_dir, train):
        self.ids = df.tile_id.values
        self.tile_dir = tile_dir
        self.train = train

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        img = cv2.imread(os.path.join(self.tile_dir, "images", f"{self.ids[i]}.png"))[..., ::-1]
        mask = cv2.imread(os.path.join(self.tile_dir, "masks", f"{self.ids[i]}.png"), 0)
        if self.train and np.random.rand() < 0.5:
            img, mask = img[:, ::-1], mask[:, ::-1]
        img = (img.astype(np.float32) / 255.0 - 0.5) / 0.25
        return torch.from_numpy(img.transpose(2, 0, 1).copy()), torch.from_numpy((mask > 127).astype(np.float32)[None].copy())


def dice_coef(logits, target, eps=1e-6):
    pred = (logits.sigmoid() > 0.5).float()
    inter = (pred * target).sum((1, 2, 3))
    return ((2 * inter + eps) / (pred.sum((1, 2, 3)) + target.sum((1, 2, 3)) + eps)).mean()


def main():
    args = parse_args()
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    is_main = dist.get_rank() == 0

    df = pd.read_csv(os.path.join(args.tile_dir, "tiles.csv"))
    trn_ds = TileDataset(df[df.fold != args.fold], args.tile_dir, train=True)
    val_ds = TileDataset(df[df.fold == args.fold], args.tile_dir, train=False)
    trn_sampler = DistributedSampler(trn_ds, shuffle=True, drop_last=True)
    trn_dl = DataLoader(trn_ds, batch_size=args.batch_size, sampler=trn_sampler, num_workers=4, pin_memory=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=args.batch_size, shuffle=False, num_workers=4)

    model = UNet(args.encoder).cuda(local_rank)
    model = DDP(model, device_ids=[local_rank])
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    criterion = nn.BCEWithLogitsLoss()

    for epoch in range(args.epochs):
        trn_sampler.set_epoch(epoch)
        model.train()
        for img, mask in trn_dl:
            img, mask = img.cuda(local_rank, non_blocking=True), mask.cuda(local_rank, non_blocking=True)
            loss = criterion(model(img), mask)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()

        if is_main:
            model.eval()
            dices = []
            with torch.no_grad():
                for img, mask in val_dl:
                    dices.append(dice_coef(model.module(img.cuda(local_rank)), mask.cuda(local_rank)).item())
            print(f"epoch {epoch} loss {loss.item():.4f} dice {np.mean(dices):.4f}", flush=True)
            torch.save(model.module.state_dict(), f"unet_{args.encoder}_fold{args.fold}.pth")
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
