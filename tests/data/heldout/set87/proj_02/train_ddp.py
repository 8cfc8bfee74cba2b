"""Launch: torchrun --standalone --nproc_per_node=8 train_ddp.py"""
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from torchvision import datasets, transforms

import settings as S
from network import ShipNet


def is_main():
    return dist.get_rank() == 0


def build_data():
    aug = transforms.Compose([
        transforms.RandomResizedCrop(S.IMG_SIZE, scale=(0.5, 1.0)),
        transforms.RandomHorizontalFlip(), transforms.RandomVerticalFlip(),
        transforms.RandomRotation(90),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    plain = transforms.Compose([
        transforms.Resize(S.IMG_SIZE),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    train = datasets.ImageFolder(os.path.join(S.DATA_ROOT, "train"), aug)
    val = datasets.ImageFolder(os.path.join(S.DATA_ROOT, "val"), plain)
    train_sampler = DistributedSampler(train, shuffle=True, drop_last=True)
    val_sampler = DistributedSampler(val, shuffle=False)
    train_dl = DataLoader(train, batch_size=S.PER_GPU_BATCH, sampler=train_sampler, num_workers=S.WORKERS,
                          pin_memory=True, drop_last=True, persistent_workers=True)
    val_dl = DataLoader(val, batch_size=128, sampler=val_sampler, num_workers=S.WORKERS, pin_memory=True)
    return train_dl, val_dl, train_sampler


def validate(model, loader, device):
    model.eval()
    stats = torch.zeros(3, device=device)  # loss_sum, correct, count
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            logits = model(x)
            stats[0] += F.cross_entropy(logits, y, reduction="sum")
            stats[1] += (logits.argmax(1) == y).sum()
            stats[2] += y.numel()
    dist.all_reduce(stats)
    return (stats[0] / stats[2]).item(), (stats[1] / stats[2]).item()


def main():
    dist.init_process_group("nccl")
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    device = torch.device("cuda", local_rank)

    train_dl, val_dl, train_sampler = build_data()

    model = ShipNet()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device)
    model = DistributedDataParallel(model, device_ids=[local_rank])

    opt = torch.optim.SGD(model.parameters(), lr=S.LR * dist.get_world_size(), momentum=0.9,
                          weight_decay=S.WEIGHT_DECAY, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=S.LR * dist.get_world_size(),
                                                epochs=S.EPOCHS, steps_per_epoch=len(train_dl))
    scaler = torch.cuda.amp.GradScaler()

    for epoch in range(S.EPOCHS):
        train_sampler.set_epoch(epoch)
        model.train()
        t0 = time.time()
        for x, y in train_dl:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()

        val_loss, val_acc = validate(model, val_dl, device)
        if is_main():
            print(f"epoch {epoch:02d} {time.time() - t0:5.0f}s val_loss {val_loss:.4f} val_acc {val_acc:.4f}")
            torch.save(model.module.state_dict(), "shipnet_last.pth")

    dist.destroy_process_group()


if __name__ == "__main__":
    main()
