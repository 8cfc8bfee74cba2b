import time

import torch
import torch.nn.functional as F


def poly_lr(optimizer, base_lr, it, max_it, power):
    lr = base_lr * (1 - it / max_it) ** power
    for g in optimizer.param_groups:
        g["lr"] = lr
    return lr


def train_one_epoch(model, loader, optimizer, scaler, epoch, cfg, device, log_fn=print):
    model.train()
    iters_per_epoch = len(loader)
    max_it = cfg.EPOCHS * iters_per_epoch
    t0 = time.time()
    for i, (img, lbl) in enumerate(loader):
        it = epoch * iters_per_epoch + i
        lr = poly_lr(optimizer, cfg.BASE_LR, it, max_it, cfg.POLY_POWER)
        img = img.to(device, non_blocking=True)
        lbl = lbl.to(device, non_blocking=True)
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            logits = model(img)
            loss = F.cross_entropy(logits, lbl, ignore_index=cfg.IGNORE_INDEX)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if i % 50 == 0:
            log_fn(f"epoch {epoch} [{i}/{iters_per_epoch}] loss {loss.item():.4f} lr {lr:.5f} {time.time() - t0:.1f}s")


@torch.no_grad()
def evaluate(model, loader, num_classes, ignore_index, device):
    hist = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=device)
    for img, lbl in loader:
        img, lbl = img.to(device), lbl.to(device)
        output = model(img)  # expect: BN101
        pred = output.argmax(dim=1)
        mask = lbl != ignore_index
        hist += torch.bincount(num_classes * lbl[mask] + pred[mask], minlength=num_classes ** 2).view(num_classes, num_classes)
    iou = hist.diag().float() / (hist.sum(0) + hist.sum(1) - hist.diag()).float().clamp(min=1)
    return iou.mean().item(), iou.tolist()
