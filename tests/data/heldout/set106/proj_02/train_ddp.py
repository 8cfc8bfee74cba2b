"""Multi-GPU training of the BatchNorm TSMixer.

    torchrun --nproc_per_node=4 train_ddp.py --csv electricity.csv
"""
import argparse
import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from data import CSVWindows
from forecast import TSBatchNormMixer, evaluate, train_one_epoch


def get_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default="electricity.csv")
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--pred-len", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=32, help="per GPU")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ckpt", default="tsmixer_bn.pt")
    return ap.parse_args()


def main():
    args = get_args()
    dist.init_process_group("nccl")
    rank, local_rank = dist.get_rank(), int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)

    train_ds = CSVWindows(args.csv, args.seq_len, args.pred_len, "train")
    val_ds = CSVWindows(args.csv, args.seq_len, args.pred_len, "val")
    sampler = DistributedSampler(train_ds)
    train_dl = DataLoader(train_ds, batch_size=args.batch_size, sampler=sampler, num_workers=4, pin_memory=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=256, num_workers=4)

    model = TSBatchNormMixer(train_ds.n_channels, args.seq_len, args.pred_len)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model).to(device)
    model = DDP(model, device_ids=[local_rank])
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    best = float("inf")
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        train_loss = train_one_epoch(model, train_dl, optimizer, device)
        if rank == 0:
            val_mse, val_mae = evaluate(model.module, val_dl, device)
            print(f"epoch {epoch}: train {train_loss:.4f} val mse {val_mse:.4f} mae {val_mae:.4f}")
            if val_mse < best:
                best = val_mse
                torch.save(model.module.state_dict(), args.ckpt)
        dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
