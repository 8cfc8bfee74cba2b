"""DDP training entry point.

    torchrun --nproc_per_node=4 train.py
"""
from __future__ import annotations

import logging
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from omegaconf import OmegaConf
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from config import ExperimentConfig
from data import ADE20K, build_transforms
from model import FCN, ResNetBackbone

log = logging.getLogger("ade20k")


@torch.inference_mode()
def validate(model: nn.Module, loader: DataLoader, cfg: ExperimentConfig, device: torch.device) -> float:
    model.eval()
    n = cfg.num_classes
    hist = torch.zeros(n * n, dtype=torch.long, device=device)
    for img, mask in loader:
        img, mask = img.to(device), mask.to(device)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            pred = model(img).argmax(1)
        keep = mask != cfg.ignore_index
        hist += torch.bincount(mask[keep] * n + pred[keep], minlength=n * n)
    dist.all_reduce(hist)
    hist = hist.view(n, n).float()
    iou = hist.diag() / (hist.sum(0) + hist.sum(1) - hist.diag()).clamp(min=1)
    return iou.mean().item()


def main() -> None:
    cfg: ExperimentConfig = OmegaConf.to_object(
        OmegaConf.merge(OmegaConf.structured(ExperimentConfig), OmegaConf.from_cli())
    )
    local_rank = int(os.environ["LOCAL_RANK"])
    dist.init_process_group("nccl")
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    backbone = ResNetBackbone(cfg.backbone)
    backbone.load_state_dict(torch.load(cfg.backbone.pretrained, map_location="cpu", weights_only=True), strict=False)
    model = FCN(backbone, cfg.num_classes)
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = DDP(model.to(device), device_ids=[local_rank], find_unused_parameters=False)

    train_set = ADE20K(cfg.data.root, "training", build_transforms(cfg.data.crop, train=True))
    val_set = ADE20K(cfg.data.root, "validation", build_transforms(cfg.data.crop, train=False))
    sampler = DistributedSampler(train_set, shuffle=True, drop_last=True)
    train_loader = DataLoader(train_set, batch_size=cfg.data.batch_size, sampler=sampler,
                              num_workers=cfg.data.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=1, sampler=DistributedSampler(val_set, shuffle=False),
                            num_workers=cfg.data.workers)

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=cfg.optim.lr, momentum=0.9, weight_decay=cfg.optim.weight_decay)
    total = cfg.optim.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [
        torch.optim.lr_scheduler.LinearLR(optimizer, 1e-3, total_iters=cfg.optim.warmup_iters),
        torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=total - cfg.optim.warmup_iters, power=0.9),
    ], milestones=[cfg.optim.warmup_iters])

    for epoch in range(cfg.optim.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for img, mask in train_loader:
            img, mask = img.to(device, non_blocking=True), mask.to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(img), mask, ignore_index=cfg.ignore_index)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        if (epoch + 1) % 8 == 0:
            miou = validate(model, val_loader, cfg, device)
            if dist.get_rank() == 0:
                log.info("epoch %d mIoU %.4f", epoch, miou)
                cfg.out_dir.mkdir(parents=True, exist_ok=True)
                torch.save(model.module.state_dict(), cfg.out_dir / f"epoch{epoch:03d}.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
