"""SIIM-ACR Pneumothorax -- U-Net (timm encoder), single- or multi-GPU.

single GPU : python train_seg.py --fold 0
multi GPU  : torchrun --nproc_per_node 8 train_seg.py --fold 0
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


def conv3x3_bn_relu(c_in, c_out):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class UpBlock(nn.Module):
    def __init__(self, c_in, c_skip, c_out):
        super().__init__()
        self.block = nn.Sequential(conv3x3_bn_relu(c_in + c_skip, c_out), conv3x3_bn_relu(c_out, c_out))

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.block(torch.cat([x, skip], 1))


class SegModel(nn.Module):
    def __init__(self, encoder="seresnext50_32x4d", pretrained=True):
        super().__init__()
        self.encoder = timm.create_model(encoder, features_only=True, out_indices=(1, 2, 3, 4), pretrained=pretrained)
        c1, c2, c3, c4 = self.encoder.feature_info.channels()
        self.up3 = UpBlock(c4, c3, 256)
        self.up2 = UpBlock(256, c2, 128)
        self.up1 = UpBlock(128, c1, 64)
        self.seg_head = nn.Conv2d(64, 1, kernel_size=1)

    def forward(self, x):
        f1, f2, f3, f4 = self.encoder(x)
        d = self.up3(f4, f3)
        d = self.up2(d, f2)
        d = self.up1(d, f1)
        return F.interpolate(self.seg_head(d), size=x.shape[-2:], mode="bilinear", align_corners=False)


class PTXDataset(Dataset):
    def __init__(self, df, size, train):
        self.img_paths = df.img_path.values
        self.mask_paths = df.mask_path.values
        self.size = size
        self.train = train

    def __len__(self):
        return len(self.img_paths)

    def __getitem__(self, i):
        img = cv2.resize(cv2.imread(self.img_paths[i]), (self.size, self.size))
        mask = cv2.resize(cv2.imread(self.mask_paths[i], 0), (self.size, self.size))
        if self.train and np.random.rand() < 0.5:
            img, mask = img[:, ::-1], mask[:, ::-1]
        img = torch.from_numpy(img.transpose(2, 0, 1).astype(np.float32) / 255.0)
        mask = torch.from_numpy((mask > 127).astype(np.float32))[None]
        return img, mask


def dice_loss(logits, target, eps=1.0):
    p = logits.sigmoid()
    num = 2 * (p * target).sum((2, 3)) + eps
    den = p.sum((2, 3)) + target.sum((2, 3)) + eps
    return 1 - (num / den).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--size", type=int, default=768)
    ap.add_argument("--batch-size", type=int, default=16, help="per process")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--csv", default="../input/siim-png/train_folds.csv")
    args = ap.parse_args()

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl")
        local_rank = int(os.environ["LOCAL_RANK"])
    else:
        local_rank = 0
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)
    is_master = (not distributed) or dist.get_rank() == 0

    df = pd.read_csv(args.csv)
    trn_ds = PTXDataset(df[df.fold != args.fold], args.size, train=True)
    val_ds = PTXDataset(df[df.fold == args.fold], args.size, train=False)
    sampler = DistributedSampler(trn_ds, shuffle=True) if distributed else None
    trn_dl = DataLoader(trn_ds, batch_size=args.batch_size, shuffle=sampler is None, sampler=sampler, num_workers=6, pin_memory=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=args.batch_size, shuffle=False, num_workers=6)

    model = SegModel().to(device)
    if distributed:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        model = DDP(model, device_ids=[local_rank], output_device=local_rank)
    raw_model = model.module if distributed else model

    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-4, epochs=args.epochs, steps_per_epoch=len(trn_dl))
    bce = nn.BCEWithLogitsLoss()

    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        for img, mask in trn_dl:
            img, mask = img.to(device, non_blocking=True), mask.to(device, non_blocking=True)
            logits = model(img)
            loss = bce(logits, mask) + dice_loss(logits, mask)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()

        if is_master:
            raw_model.eval()
            scores = []
            with torch.no_grad():
                for img, mask in val_dl:
                    scores.append(1 - dice_loss(raw_model(img.to(device)), mask.to(device)).item())
            print(f"epoch {epoch}: loss {loss.item():.4f} dice {np.mean(scores):.4f}", flush=True)
            torch.save(raw_model.state_dict(), f"unet_fold{args.fold}.pth")
        if distributed:
            dist.barrier()

    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
