"""Distributed training of a sleep-staging CNN (Sleep-EDF, 30 s epochs, EEG Fpz-Cz + EOG).

    torchrun --nproc_per_node=4 clean_07.py --data /data/sleepedf_npz --batch-size 32
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
from torch.utils.data import ConcatDataset, DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

STAGES = ["W", "N1", "N2", "N3", "REM"]


class NightRecording(Dataset):
    def __init__(self, npz_path):
        d = np.load(npz_path)
        self.x = d["x"].astype(np.float32)   # (epochs, 2, 3000)
        self.y = d["y"].astype(np.int64)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), self.y[i]


def conv_block(cin, cout, k, stride=1, pool=None):
    layers = [nn.Conv1d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
              nn.BatchNorm1d(cout), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool1d(pool))
    return layers


class SleepCNN(nn.Module):
    def __init__(self, in_ch=2, n_classes=len(STAGES)):
        super().__init__()
        self.small = nn.Sequential(*conv_block(in_ch, 64, 50, stride=6, pool=8),
                                   nn.Dropout(0.5),
                                   *conv_block(64, 128, 8), *conv_block(128, 128, 8),
                                   nn.AdaptiveMaxPool1d(16))
        self.large = nn.Sequential(*conv_block(in_ch, 64, 400, stride=50, pool=4),
                                   nn.Dropout(0.5),
                                   *conv_block(64, 128, 6), *conv_block(128, 128, 6),
                                   nn.AdaptiveMaxPool1d(16))
        self.fc = nn.Linear(2 * 128 * 16, n_classes)

    def forward(self, x):
        a = self.small(x).flatten(1)
        b = self.large(x).flatten(1)
        return self.fc(F.dropout(torch.cat([a, b], 1), 0.5, self.training))


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--batch-size", type=int, required=True, help="per-process batch size")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--val-subjects", type=int, default=4)
    return ap.parse_args()


def main():
    args = parse()
    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    files = sorted(glob.glob(os.path.join(args.data, "SC4*.npz")))
    val_files, train_files = files[: 2 * args.val_subjects], files[2 * args.val_subjects:]
    train_ds = ConcatDataset([NightRecording(f) for f in train_files])
    val_ds = ConcatDataset([NightRecording(f) for f in val_files])

    sampler = DistributedSampler(train_ds, num_replicas=world, rank=rank, shuffle=True, drop_last=True)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=sampler,
                              num_workers=4, pin_memory=True)
    val_loader = DataLoader(val_ds, batch_size=512, num_workers=2)

    model = SleepCNN()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    model = DDP(model, device_ids=[local_rank], output_device=local_rank)

    opt = torch.optim.Adam(model.parameters(), lr=args.lr * world, weight_decay=1e-3)
    class_w = torch.tensor([1.0, 1.5, 1.0, 1.0, 1.0], device=device)

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y, weight=class_w)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        if rank == 0:
            model.eval()
            conf = torch.zeros(len(STAGES), len(STAGES), dtype=torch.long)
            with torch.no_grad():
                for x, y in val_loader:
                    pred = model.module(x.to(device)).argmax(1).cpu()
                    for t, p in zip(y, pred):
                        conf[t, p] += 1
            acc = conf.diag().sum().item() / conf.sum().item()
            recall = conf.diag().float() / conf.sum(1).clamp(min=1).float()
            print(f"epoch {epoch}: acc {acc:.3f} per-stage recall "
                  + " ".join(f"{s}={r:.2f}" for s, r in zip(STAGES, recall.tolist())), flush=True)
            torch.save(model.module.state_dict(), "sleepcnn_ddp.pt")
        dist.barrier()

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
