"""Entry point:  torchrun --nproc_per_node=8 -m proj_01.train"""
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from . import configs as cfg
from .data import Cityscapes
from .engine import evaluate, train_one_epoch
from .models import build_model


def init_distributed():
    dist.init_process_group(backend="nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    return dist.get_rank(), local_rank


def main():
    rank, local_rank = init_distributed()
    device = torch.device("cuda", local_rank)
    log = print if rank == 0 else (lambda *a, **k: None)

    train_set = Cityscapes(cfg.DATA_ROOT, "train", crop_size=cfg.CROP_SIZE)
    val_set = Cityscapes(cfg.DATA_ROOT, "val")
    train_sampler = DistributedSampler(train_set, shuffle=True)
    train_loader = DataLoader(train_set, batch_size=cfg.PER_GPU_BATCH_SIZE, sampler=train_sampler, num_workers=cfg.NUM_WORKERS, pin_memory=True, drop_last=True)  # expect: BN304
    val_loader = DataLoader(val_set, batch_size=cfg.VAL_BATCH_SIZE, shuffle=False, num_workers=cfg.NUM_WORKERS)

    model = build_model(cfg.NUM_CLASSES).to(device)
    model = DDP(model, device_ids=[local_rank], output_device=local_rank)

    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.BASE_LR, momentum=0.9, weight_decay=cfg.WEIGHT_DECAY)
    scaler = torch.cuda.amp.GradScaler()
    os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)

    best_miou = 0.0
    for epoch in range(cfg.EPOCHS):
        train_sampler.set_epoch(epoch)
        train_one_epoch(model, train_loader, optimizer, scaler, epoch, cfg, device, log_fn=log)
        if rank == 0 and (epoch + 1) % cfg.EVAL_EVERY == 0:
            miou, _ = evaluate(model.module, val_loader, cfg.NUM_CLASSES, cfg.IGNORE_INDEX, device)
            log(f"epoch {epoch}: mIoU {miou * 100:.2f}")
            if miou > best_miou:
                best_miou = miou
                torch.save(model.module.state_dict(), os.path.join(cfg.OUTPUT_DIR, "best.pth"))
        dist.barrier()

    if rank == 0:
        torch.save(model.module.state_dict(), os.path.join(cfg.OUTPUT_DIR, "final.pth"))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
