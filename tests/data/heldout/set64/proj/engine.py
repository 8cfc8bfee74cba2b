"""Training / evaluation loops and checkpoint helpers shared by train.py and predict.py."""
import copy
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


class ModelEma(nn.Module):
    def __init__(self, model, decay=0.999):
        super().__init__()
        self.module = copy.deepcopy(model).eval()
        self.decay = decay

    @torch.no_grad()
    def update(self, model):
        for e, m in zip(self.module.state_dict().values(), model.state_dict().values()):
            if e.dtype.is_floating_point:
                e.lerp_(m, 1.0 - self.decay)
            else:
                e.copy_(m)


def train_one_epoch(model, loader, optimizer, scaler, device, ema=None, mixup_alpha=0.2):
    model.train()
    total = 0.0
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        lam = float(torch.distributions.Beta(mixup_alpha, mixup_alpha).sample())
        perm = torch.randperm(images.size(0), device=device)
        mixed = lam * images + (1 - lam) * images[perm]
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            logits = model(mixed)
            loss = lam * F.cross_entropy(logits, labels) + (1 - lam) * F.cross_entropy(logits, labels[perm])
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if ema is not None:
            ema.update(model)
        total += loss.item()
    return total / len(loader)


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = count = 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            logits = model(images)
        correct += (logits.argmax(dim=1) == labels).sum().item()
        count += labels.numel()
    return correct / count


def save_checkpoint(path, model, ema, optimizer, epoch, best_acc):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    torch.save({"model": model.state_dict(), "ema": ema.module.state_dict() if ema else None,
                "optimizer": optimizer.state_dict(), "epoch": epoch, "best_acc": best_acc}, path)


def load_checkpoint(path, model, use_ema=True, optimizer=None):
    ckpt = torch.load(path, map_location="cpu")
    state = ckpt["ema"] if use_ema and ckpt.get("ema") is not None else ckpt["model"]
    model.load_state_dict(state)
    if optimizer is not None:
        optimizer.load_state_dict(ckpt["optimizer"])
    return ckpt.get("epoch", -1), ckpt.get("best_acc", 0.0)
