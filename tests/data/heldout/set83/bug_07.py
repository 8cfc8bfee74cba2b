"""
Hippocampus / whole-brain subfield segmentation, 3-D residual U-Net, DDP.

    torchrun --nproc_per_node=8 ddp_brain_seg.py --cfg-name hcp_subfields

Effective batch = 8 GPUs x 2 volumes = 16.
"""
import argparse
import glob
import os
import time

import nibabel as nib
import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

NUM_CLASSES = 13
CROP = (96, 112, 96)


class ConvBNAct(nn.Sequential):
    def __init__(self, cin, cout, stride=1):
        super().__init__(nn.Conv3d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True))


class ResStage(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = ConvBNAct(cin, cout, stride)
        self.b = nn.Sequential(nn.Conv3d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm3d(cout))
        self.proj = nn.Sequential(nn.Conv3d(cin, cout, 1, stride, bias=False), nn.BatchNorm3d(cout))

    def forward(self, x):
        return F.relu(self.b(self.a(x)) + self.proj(x))


class ResUNet(nn.Module):
    def __init__(self, ncls=NUM_CLASSES, w=(16, 32, 64, 128)):
        super().__init__()
        self.s0 = ConvBNAct(1, w[0])
        self.s1 = ResStage(w[0], w[1], 2)
        self.s2 = ResStage(w[1], w[2], 2)
        self.s3 = ResStage(w[2], w[3], 2)
        self.u2 = ConvBNAct(w[3] + w[2], w[2])
        self.u1 = ConvBNAct(w[2] + w[1], w[1])
        self.u0 = ConvBNAct(w[1] + w[0], w[0])
        self.head = nn.Conv3d(w[0], ncls, 1)

    @staticmethod
    def _up(x, ref):
        return F.interpolate(x, size=ref.shape[2:], mode="trilinear", align_corners=False)

    def forward(self, x):
        x0 = self.s0(x)
        x1 = self.s1(x0)
        x2 = self.s2(x1)
        x3 = self.s3(x2)
        y = self.u2(torch.cat([self._up(x3, x2), x2], 1))
        y = self.u1(torch.cat([self._up(y, x1), x1], 1))
        y = self.u0(torch.cat([self._up(y, x0), x0], 1))
        return self.head(y)


class BrainCrops(Dataset):
    def __init__(self, root, train=True):
        self.imgs = sorted(glob.glob(os.path.join(root, "*_T1w.nii.gz")))
        self.train = train

    def __len__(self):
        return len(self.imgs)

    def __getitem__(self, i):
        img = nib.load(self.imgs[i]).get_fdata(dtype=np.float32)
        lab = nib.load(self.imgs[i].replace("_T1w", "_labels")).get_fdata().astype(np.int64)
        img = (img - img.mean()) / (img.std() + 1e-6)
        starts = [(s - c) // 2 for s, c in zip(img.shape, CROP)]
        if self.train:
            starts = [max(0, st + np.random.randint(-8, 9)) for st in starts]
        sl = tuple(slice(st, st + c) for st, c in zip(starts, CROP))
        return torch.from_numpy(img[sl][None].copy()), torch.from_numpy(lab[sl].copy())


def validate(model, loader, device):
    model.eval()
    inter = torch.zeros(NUM_CLASSES, device=device)
    union = torch.zeros(NUM_CLASSES, device=device)
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1)
            y = y.to(device)
            for c in range(1, NUM_CLASSES):
                inter[c] += ((pred == c) & (y == c)).sum()
                union[c] += (pred == c).sum() + (y == c).sum()
    model.train()
    return (2 * inter[1:] / union[1:].clamp(min=1)).mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="/scratch/hcp_subfields")
    parser.add_argument("--batch-size", type=int, default=2, help="volumes per GPU")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    dist.init_process_group(backend="nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device(f"cuda:{local_rank}")

    train_set = BrainCrops(os.path.join(args.root, "train"), train=True)
    val_set = BrainCrops(os.path.join(args.root, "val"), train=False)
    train_sampler = DistributedSampler(train_set, shuffle=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=train_sampler, num_workers=6, pin_memory=True)  # expect: BN304
    val_loader = DataLoader(val_set, batch_size=1, num_workers=2)

    model = ResUNet().to(device)
    model = DistributedDataParallel(model, device_ids=[local_rank], output_device=local_rank)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[120, 170], gamma=0.1)

    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train  # expect: BN102
        t0 = time.time()
        for step, (x, y) in enumerate(train_loader):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if rank == 0 and step % 20 == 0:
                print(f"ep {epoch} it {step} loss {loss.item():.4f}")
        scheduler.step()
        if rank == 0 and epoch % 5 == 4:
            dsc = validate(model.module, val_loader, device)
            print(f"ep {epoch} val mean DSC {dsc:.4f} ({time.time() - t0:.0f}s)")
            torch.save(model.module.state_dict(), f"resunet_ep{epoch + 1}.pt")
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
