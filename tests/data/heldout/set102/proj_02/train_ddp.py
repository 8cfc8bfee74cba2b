import os

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from config import TrainConfig
from data import cifar10
from engine import evaluate, train_one_epoch
from models import build_model


def main(cfg: TrainConfig):
    dist.init_process_group(backend="nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)

    train_set = cifar10(cfg.data_root, train=True)
    val_set = cifar10(cfg.data_root, train=False)
    train_sampler = DistributedSampler(train_set, shuffle=True)
    val_sampler = DistributedSampler(val_set, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size_per_gpu, sampler=train_sampler, num_workers=cfg.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=cfg.eval_batch_size, sampler=val_sampler, num_workers=cfg.workers)

    model = build_model(cfg)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    model = DDP(model, device_ids=[local_rank], output_device=local_rank)

    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)

    os.makedirs(cfg.out_dir, exist_ok=True)
    for epoch in range(cfg.epochs):
        train_sampler.set_epoch(epoch)
        train_one_epoch(model, train_loader, optimizer, device, epoch, rank=rank)
        scheduler.step()
        acc = evaluate(model, val_loader, device)
        if rank == 0:
            print(f"epoch {epoch}: val acc {acc:.4f}")
            torch.save({"epoch": epoch, "model": model.module.state_dict()}, os.path.join(cfg.out_dir, "last.pth"))

    dist.destroy_process_group()


if __name__ == "__main__":
    main(TrainConfig())
