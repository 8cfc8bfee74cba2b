"""torchrun --nproc_per_node=4 train.py --batch-size 64"""
import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

import configs as C
from datasets import build_datasets
from models import build_model
from utils import ModelEMA, build_optimizer, cosine_lr, evaluate, init_distributed


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=32, help="per GPU")
    ap.add_argument("--epochs", type=int, default=C.EPOCHS)
    ap.add_argument("--workers", type=int, default=8)
    return ap.parse_args()


def main():
    args = parse_args()
    rank, world, local_rank = init_distributed()
    device = torch.device("cuda", local_rank)

    train_set, val_set = build_datasets()
    train_sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=train_sampler,
                              num_workers=args.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=2 * args.batch_size,
                            sampler=DistributedSampler(val_set, shuffle=False),
                            num_workers=args.workers)

    model = build_model().to(device)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ema = ModelEMA(model, decay=C.EMA_DECAY)
    model = DDP(model, device_ids=[local_rank], output_device=local_rank)

    lr = C.BASE_LR * args.batch_size * world / 256
    optimizer = build_optimizer(model, lr, C.WEIGHT_DECAY)
    total_steps = args.epochs * len(train_loader)
    warmup = C.WARMUP_EPOCHS * len(train_loader)

    step, best = 0, 0.0
    for epoch in range(args.epochs):
        train_sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            for g in optimizer.param_groups:
                g["lr"] = cosine_lr(step, total_steps, warmup, lr)
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            ema.update(model.module)
            step += 1

        acc = evaluate(model, val_loader, device)
        ema_acc = evaluate(ema.module, val_loader, device)
        if rank == 0:
            print(f"epoch {epoch}: top1 {acc:.4f}  ema top1 {ema_acc:.4f}")
            if ema_acc > best:
                best = ema_acc
                os.makedirs(C.OUT_DIR, exist_ok=True)
                torch.save({"model": model.module.state_dict(), "ema": ema.module.state_dict()},
                           os.path.join(C.OUT_DIR, "best.pth"))


if __name__ == "__main__":
    main()
