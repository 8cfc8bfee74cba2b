"""Distributed training, MSD Task06 lung tumour segmentation (3-D residual U-Net).

torchrun --standalone --nproc_per_node=4 train_lung_ddp.py --batch-size 8
BatchNorm is converted to SyncBatchNorm so statistics are computed over all GPUs.
"""
import argparse
import glob
import os

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/data/Task06_Lung/npz")
    ap.add_argument("--batch-size", type=int, default=8, help="per process")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ckpt-dir", default="ckpt_lung")
    return ap.parse_args()


class LungPatches(Dataset):
    def __init__(self, files, patch=(64, 96, 96), fg_prob=0.5):
        self.files, self.patch, self.fg_prob = files, patch, fg_prob

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        d = np.load(self.files[i])
        img, lab = d["img"], d["lab"]
        if np.random.rand() < self.fg_prob and lab.any():
            c = np.argwhere(lab)[np.random.randint(int(lab.sum()))]
        else:
            c = [np.random.randint(s) for s in img.shape]
        start = [int(np.clip(ci - p // 2, 0, s - p)) for ci, p, s in zip(c, self.patch, img.shape)]
        sl = tuple(slice(s, s + p) for s, p in zip(start, self.patch))
        return torch.from_numpy(img[sl][None].astype(np.float32)), torch.from_numpy(lab[sl].astype(np.int64))


class Res(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.c1 = nn.Conv3d(cin, cout, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm3d(cout)
        self.c2 = nn.Conv3d(cout, cout, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm3d(cout)
        self.sc = nn.Conv3d(cin, cout, 1, bias=False) if cin != cout else nn.Identity()

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        return F.relu(self.b2(self.c2(y)) + self.sc(x))


class LungNet(nn.Module):
    def __init__(self, w=(24, 48, 96, 192)):
        super().__init__()
        self.e = nn.ModuleList([Res(1, w[0])] + [Res(w[i], w[i + 1]) for i in range(3)])
        self.d = nn.ModuleList([Res(w[i + 1] + w[i], w[i]) for i in reversed(range(3))])
        self.out = nn.Conv3d(w[0], 2, 1)

    def forward(self, x):
        skips = []
        for i, blk in enumerate(self.e):
            x = blk(x if i == 0 else F.max_pool3d(x, 2))
            skips.append(x)
        x = skips.pop()
        for blk in self.d:
            s = skips.pop()
            x = blk(torch.cat([F.interpolate(x, size=s.shape[2:], mode="trilinear"), s], 1))
        return self.out(x)


def evaluate(net, files, device):
    net.eval()
    dices = []
    with torch.no_grad():
        for f in files:
            d = np.load(f)
            x = torch.from_numpy(d["img"][None, None].astype(np.float32)).to(device)
            pred = net(x).argmax(1)[0].cpu().numpy()
            gt = d["lab"] > 0
            dices.append(2 * (pred.astype(bool) & gt).sum() / (pred.sum() + gt.sum() + 1e-6))
    net.train()
    return float(np.mean(dices))


def main():
    args = parse()
    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    files = sorted(glob.glob(os.path.join(args.root, "*.npz")))
    train_files, val_files = files[:-12], files[-12:]
    ds = LungPatches(train_files)
    sampler = DistributedSampler(ds, shuffle=True, drop_last=True)
    loader = DataLoader(ds, batch_size=args.batch_size, sampler=sampler, num_workers=4, pin_memory=True,
                        drop_last=True)

    model = LungNet()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = DDP(model.to(device), device_ids=[local_rank])
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    weight = torch.tensor([1.0, 20.0], device=device)

    best = 0.0
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y, weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if rank == 0 and (epoch + 1) % 10 == 0:
            dsc = evaluate(model.module, val_files, device)
            print(f"epoch {epoch + 1}: loss {loss.item():.4f} val dice {dsc:.4f}")
            if dsc > best:
                best = dsc
                os.makedirs(args.ckpt_dir, exist_ok=True)
                torch.save(model.module.state_dict(), os.path.join(args.ckpt_dir, "best.pt"))
        dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
