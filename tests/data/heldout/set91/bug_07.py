"""Multi-GPU training of a PointNet classifier on ScanObjectNN (h5 shards).

Launch:  torchrun --nproc_per_node=8 bug_07.py --data /data/scanobjectnn
Each rank sees BATCH_PER_GPU clouds of 2048 points.
"""
import argparse
import glob
import os

import h5py
import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

BATCH_PER_GPU = 4
NUM_POINTS = 2048
NUM_CLASSES = 15


class H5PointClouds(Dataset):
    def __init__(self, root, split):
        pts, labels = [], []
        for path in sorted(glob.glob(os.path.join(root, f"{split}_*.h5"))):
            with h5py.File(path, "r") as f:
                pts.append(f["data"][:, :NUM_POINTS].astype(np.float32))
                labels.append(f["label"][:].astype(np.int64).reshape(-1))
        self.points = np.concatenate(pts)
        self.labels = np.concatenate(labels)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        pts = self.points[i]
        pts = pts - pts.mean(0, keepdims=True)
        pts = pts / np.linalg.norm(pts, axis=1).max()
        return torch.from_numpy(pts.T.copy()), int(self.labels[i])


class SharedMLP(nn.Sequential):
    def __init__(self, widths):
        layers = []
        for cin, cout in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv1d(cin, cout, 1, bias=False), nn.BatchNorm1d(cout), nn.ReLU(True)]
        super().__init__(*layers)


class PointNet(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.mlp1 = SharedMLP([3, 64, 64])
        self.mlp2 = SharedMLP([64, 128, 1024])
        self.head = nn.Sequential(
            nn.Linear(1024, 512, bias=False),
            nn.BatchNorm1d(512, momentum=0.9),  # expect: BN205
            nn.ReLU(True),
            nn.Dropout(0.5),
            nn.Linear(512, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(True),
            nn.Dropout(0.5),
            nn.Linear(256, num_classes),
        )

    def forward(self, x):
        x = self.mlp2(self.mlp1(x))
        return self.head(x.amax(dim=2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=250)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()

    dist.init_process_group("nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)

    train_set = H5PointClouds(args.data, "train")
    sampler = DistributedSampler(train_set, shuffle=True)
    loader = DataLoader(train_set, batch_size=BATCH_PER_GPU, sampler=sampler, num_workers=4, pin_memory=True, drop_last=True)  # expect: BN304

    model = PointNet().cuda(local_rank)
    model = DDP(model, device_ids=[local_rank])
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        total, n = 0.0, 0
        for pts, labels in loader:
            pts, labels = pts.cuda(local_rank, non_blocking=True), labels.cuda(local_rank)
            loss = F.cross_entropy(model(pts), labels, label_smoothing=0.2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * labels.size(0)
            n += labels.size(0)
        sched.step()
        if rank == 0:
            print(f"epoch {epoch} loss {total / max(n, 1):.4f}")
            torch.save(model.module.state_dict(), "pointnet_scanobjectnn.pt")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
