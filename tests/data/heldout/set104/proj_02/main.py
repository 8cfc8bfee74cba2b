"""torchrun --nproc_per_node=8 -m proj_02.main"""
import os

import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms

from .config import ExperimentConfig
from .ema import ModelEma
from .engine import evaluate, train_one_epoch
from .models import build_resnet
from .utils.distributed import init_distributed, is_main_process, save_on_master


def build_data(cfg):
    normalize = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(cfg.image_size), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize])
    val_tf = transforms.Compose([transforms.Resize(int(cfg.image_size / 0.875)), transforms.CenterCrop(cfg.image_size), transforms.ToTensor(), normalize])
    train_set = datasets.ImageFolder(os.path.join(cfg.root, "train"), train_tf)
    val_set = datasets.ImageFolder(os.path.join(cfg.root, "val"), val_tf)
    train_sampler = DistributedSampler(train_set, shuffle=True)
    val_sampler = DistributedSampler(val_set, shuffle=False)
    train_loader = DataLoader(train_set, batch_size=cfg.per_device_batch_size, sampler=train_sampler, num_workers=cfg.workers, pin_memory=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=cfg.eval_batch_size, sampler=val_sampler, num_workers=cfg.workers)
    return train_loader, val_loader, train_sampler


def main(cfg: ExperimentConfig):
    local_rank = init_distributed()
    device = torch.device("cuda", local_rank)
    train_loader, val_loader, train_sampler = build_data(cfg.data)

    model = build_resnet(cfg.arch)
    if cfg.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    ema = ModelEma(model, cfg.ema_decay)
    model = DDP(model, device_ids=[local_rank])

    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.optim.lr, momentum=0.9, weight_decay=cfg.optim.weight_decay, nesterov=True)
    scaler = torch.cuda.amp.GradScaler(enabled=cfg.amp)
    os.makedirs(cfg.output_dir, exist_ok=True)

    best = 0.0
    for epoch in range(cfg.optim.epochs):
        train_sampler.set_epoch(epoch)
        train_one_epoch(model, ema, train_loader, optimizer, scaler, epoch, cfg, device)
        acc = evaluate(model, val_loader, device)
        ema_acc = evaluate(ema.ema, val_loader, device)
        if is_main_process():
            print(f"epoch {epoch}: top1 {acc:.4f}  ema top1 {ema_acc:.4f}")
        if acc > best:
            best = acc
            save_on_master({"model": model.module.state_dict(), "ema": ema.ema.state_dict(), "epoch": epoch}, os.path.join(cfg.output_dir, "best.pth"))


if __name__ == "__main__":
    main(ExperimentConfig())
