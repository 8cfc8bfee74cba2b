import math
import time

import torch
import torch.nn.functional as F

from .utils.distributed import is_main_process, reduce_mean


def adjust_lr(optimizer, cfg, epoch_float):
    if epoch_float < cfg.warmup_epochs:
        lr = cfg.lr * epoch_float / cfg.warmup_epochs
    else:
        t = (epoch_float - cfg.warmup_epochs) / (cfg.epochs - cfg.warmup_epochs)
        lr = 0.5 * cfg.lr * (1 + math.cos(math.pi * t))
    for g in optimizer.param_groups:
        g["lr"] = lr


def train_one_epoch(model, ema, loader, optimizer, scaler, epoch, cfg, device):
    model.train()
    n = len(loader)
    t0 = time.time()
    for i, (images, targets) in enumerate(loader):
        adjust_lr(optimizer, cfg.optim, epoch + i / n)
        images = images.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.float16, enabled=cfg.amp):
            loss = F.cross_entropy(model(images), targets, label_smoothing=cfg.optim.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        ema.update(model.module)
        if is_main_process() and i % 100 == 0:
            print(f"epoch {epoch} [{i}/{n}] loss {loss.item():.4f} ({time.time() - t0:.0f}s)")


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = torch.zeros(1, device=device)
    total = torch.zeros(1, device=device)
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        logits = model(images)
        correct += (logits.argmax(1) == targets).sum()
        total += targets.numel()
    return (reduce_mean(correct) / reduce_mean(total)).item()
