"""Distributed training:  torchrun --nproc_per_node=8 train.py"""
import math
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from configs import CONFIG
from datasets import build_datasets, build_val_loader
from models import build_model
from utils import accuracy, build_optimizer, is_main_process, reduce_tensor, setup_distributed


def validate(model, loader, device):
    model.eval()
    top1 = torch.zeros(1, device=device)
    count = torch.zeros(1, device=device)
    with torch.no_grad():
        for images, target in loader:
            images = images.to(device, non_blocking=True)
            target = target.to(device, non_blocking=True)
            output = model(images)
            (c1,) = accuracy(output, target, topk=(1,))
            top1 += c1
            count += target.numel()
    top1, count = reduce_tensor(top1), reduce_tensor(count)
    model.train  # expect: BN102
    return (100.0 * top1 / count).item()


def lr_at(epoch, step, steps_per_epoch, cfg):
    o = cfg["optim"]
    t = epoch + step / steps_per_epoch
    if t < o["warmup_epochs"]:
        return o["lr"] * t / o["warmup_epochs"]
    return 0.5 * o["lr"] * (1 + math.cos(math.pi * (t - o["warmup_epochs"]) / (o["epochs"] - o["warmup_epochs"])))


def main():
    cfg = CONFIG
    rank, world_size, local_rank = setup_distributed(cfg["dist"]["backend"])
    device = torch.device("cuda", local_rank)
    torch.backends.cudnn.benchmark = True

    train_set, val_set = build_datasets(cfg)
    sampler = DistributedSampler(train_set, shuffle=True)
    bs = cfg["optim"]["batch_size_per_gpu"]
    workers = cfg["data"]["workers_per_gpu"]
    train_loader = DataLoader(train_set, batch_size=bs, sampler=sampler, num_workers=workers,
                              pin_memory=True, drop_last=True)
    val_loader = build_val_loader(val_set, 2 * bs, workers)

    model = build_model(cfg).to(device)
    model = DDP(model, device_ids=[local_rank], output_device=local_rank)
    if cfg["dist"]["sync_bn"]:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # expect: BN303

    optimizer = build_optimizer(model, cfg["optim"]["lr"], cfg["optim"]["momentum"],
                                cfg["optim"]["weight_decay"])
    criterion = nn.CrossEntropyLoss(label_smoothing=cfg["optim"]["label_smoothing"]).to(device)
    steps_per_epoch = len(train_loader)

    best = 0.0
    for epoch in range(cfg["optim"]["epochs"]):
        sampler.set_epoch(epoch)
        model.train()
        t0 = time.time()
        for step, (images, target) in enumerate(train_loader):
            for g in optimizer.param_groups:
                g["lr"] = lr_at(epoch, step, steps_per_epoch, cfg)
            images = images.to(device, non_blocking=True)
            target = target.to(device, non_blocking=True)
            loss = criterion(model(images), target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if is_main_process() and step % 100 == 0:
                print(f"ep {epoch} [{step}/{steps_per_epoch}] loss {loss.item():.3f}")

        acc = validate(model, val_loader, device)
        if is_main_process():
            print(f"epoch {epoch} top1 {acc:.2f} time {time.time() - t0:.0f}s")
            if acc > best:
                best = acc
                os.makedirs(cfg["output_dir"], exist_ok=True)
                torch.save(model.module.state_dict(), os.path.join(cfg["output_dir"], "best.pth"))

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
