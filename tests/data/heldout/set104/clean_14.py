# PointNet classification on ModelNet40, one process per visible GPU (mp.spawn).
import argparse
import glob
import os

import h5py
import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler


class ModelNet40(Dataset):
    def __init__(self, root, split, num_points=1024, augment=False):
        files = sorted(glob.glob(os.path.join(root, f"ply_data_{split}*.h5")))
        pts, lbl = [], []
        for f in files:
            with h5py.File(f, "r") as h:
                pts.append(h["data"][:].astype(np.float32))
                lbl.append(h["label"][:].astype(np.int64))
        self.points = np.concatenate(pts)[:, :num_points]
        self.labels = np.concatenate(lbl).squeeze(-1)
        self.augment = augment

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        p = self.points[i]
        if self.augment:
            p = p * np.random.uniform(0.8, 1.25, size=(1, 3)).astype(np.float32)
            p = p + np.random.normal(0, 0.01, size=p.shape).astype(np.float32)
        return torch.from_numpy(p).t().contiguous(), self.labels[i]     # (3, N)


class PointNet(nn.Module):
    def __init__(self, k=40):
        super().__init__()
        self.mlp1 = nn.Sequential(
            nn.Conv1d(3, 64, 1, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
            nn.Conv1d(64, 128, 1, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
            nn.Conv1d(128, 1024, 1, bias=False), nn.BatchNorm1d(1024), nn.ReLU(),
        )
        self.fc = nn.Sequential(
            nn.Linear(1024, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(256, k),
        )

    def forward(self, x):                 # x: (B, 3, N)
        x = self.mlp1(x)                  # (B, 1024, N)
        x = torch.max(x, dim=2)[0]        # (B, 1024)
        return self.fc(x)


def setup_model(device):
    model = PointNet()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(device)
    return DDP(model, device_ids=[device.index])


@torch.no_grad()
def run_inference(net, loader, device):
    preds, gts = [], []
    for pts, lbl in loader:
        preds.append(net(pts.to(device)).argmax(1).cpu())
        gts.append(lbl)
    return torch.cat(preds), torch.cat(gts)


def worker(rank, world_size, args):
    os.environ["MASTER_ADDR"] = "localhost"
    os.environ["MASTER_PORT"] = str(args.port)
    dist.init_process_group("nccl", rank=rank, world_size=world_size)
    torch.cuda.set_device(rank)
    device = torch.device("cuda", rank)

    train_set = ModelNet40(args.root, "train", augment=True)
    test_set = ModelNet40(args.root, "test")
    sampler = DistributedSampler(train_set, num_replicas=world_size, rank=rank, shuffle=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, num_workers=4, drop_last=True)
    test_loader = DataLoader(test_set, batch_size=args.batch_size, shuffle=False, num_workers=4)

    model = setup_model(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.7)
    best_acc = 0.0

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for pts, lbl in train_loader:
            pts, lbl = pts.to(device), lbl.to(device)
            loss = F.cross_entropy(model(pts), lbl, label_smoothing=0.2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()

        if rank == 0:
            model.eval()
            preds, gts = run_inference(model.module, test_loader, device)
            acc = (preds == gts).float().mean().item()
            print(f"epoch {epoch:3d} loss {loss.item():.4f} test acc {acc:.4f}")
            if acc > best_acc:
                best_acc = acc
                torch.save({k: v.cpu() for k, v in model.module.state_dict().items()}, args.ckpt)
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="data/modelnet40_ply_hdf5_2048")
    ap.add_argument("--batch-size", type=int, default=128, help="per GPU")
    ap.add_argument("--epochs", type=int, default=250)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--port", type=int, default=23456)
    ap.add_argument("--ckpt", default="pointnet_best.pth")
    args = ap.parse_args()
    n_gpus = torch.cuda.device_count()
    mp.spawn(worker, args=(n_gpus, args), nprocs=n_gpus, join=True)
